#include "orchestrator/cli/config_args.h"

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

}  // namespace spct::cli
