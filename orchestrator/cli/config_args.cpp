#include "orchestrator/cli/config_args.h"

#include <filesystem>

#include "core/error.h"
#include "orchestrator/pipeline/pipeline.h"
#include "workers/reward/external/reward_functions_check.h"

namespace spct::cli {
namespace {

bool is_override(const std::string& arg) {
  return arg.find('=') != std::string::npos;
}

}  // namespace

void ConfigArgs::add_to(CLI::App& command) {
  command.add_option("args", positional,
                     "CONFIG.yaml (default: the embedded quickstart), then overrides section.key=value");
}

std::string ConfigArgs::path() const {
  if (positional.empty() || is_override(positional.front())) return "";
  return positional.front();
}

std::vector<std::string> ConfigArgs::overrides() const {
  std::vector<std::string> out;
  for (std::size_t i = path().empty() ? 0 : 1; i < positional.size(); ++i) out.push_back(positional[i]);
  return out;
}

config::ResolvedConfig ConfigArgs::load() const {
  const std::string file = path();
  // Read as an experiment config, a pipeline would only fail on its unknown `pipeline` and `stages` keys.
  bool pipeline = false;
  try {
    pipeline = !file.empty() && std::filesystem::is_regular_file(file) && pipeline::is_pipeline_file(file);
  } catch (const UsageError&) {
    // Unparsable YAML: load_config below reports it with the file, line and column.
  }
  if (pipeline) {
    throw UsageError(file +
                     " is a pipeline (a `stages:` list of experiment configs), not an experiment config: check "
                     "it with `spct pipeline show " +
                     file + "` and run it with `spct pipeline run " + file + "`");
  }
  config::ResolvedConfig resolved = config::load_config(file, overrides());
  // Rewards register themselves in the reward library, which the config loader does not know: checked here.
  reward::check_reward_functions(resolved.config.reward.functions, resolved.origins.at("reward.functions").str());
  return resolved;
}

}  // namespace spct::cli
