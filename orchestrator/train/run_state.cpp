#include "orchestrator/train/run_state.h"

#include <chrono>
#include <fstream>
#include <sstream>

#include "core/atomic_file.h"
#include "core/config/render.h"
#include "core/error.h"
#include "orchestrator/train/pending_batch.h"
#include "orchestrator/version.h"

namespace spct::train {
namespace fs = std::filesystem;
namespace {

constexpr const char* kStateFile = "state.json";
constexpr const char* kFormat = "spct-run-state-1";

template <class T>
T required(const nlohmann::json& state, const char* key, const fs::path& file) {
  if (!state.contains(key)) throw InputError(file.string() + ": missing key \"" + key + "\"");
  try {
    return state[key].get<T>();
  } catch (const nlohmann::json::exception&) {
    throw InputError(file.string() + ": key \"" + key + "\" has the wrong type: " + state[key].dump());
  }
}

}  // namespace

void write_run_state(const fs::path& dir, const RunState& state, const config::ResolvedConfig& resolved) {
  const config::Config& config = resolved.config;
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const nlohmann::json json = {
      {"format", kFormat},
      {"step", state.step},
      {"next_prompt_id", state.next_prompt_id},
      {"data", state.data},
      {"metrics_bytes", state.metrics_bytes},
      {"config_hash", config::config_hash(config)},
      {"layout",
       {{"colocate", config.layout.colocate},
        {"rollout_workers", config.layout.rollout_workers},
        {"reward_workers", config.layout.reward_workers},
        {"learners", config.layout.learners}}},
      {"spct_version", std::string(kVersion) + " (" + kGitCommit + ")"},
      {"written_at_unix_s", std::chrono::duration_cast<std::chrono::seconds>(now).count()},
      {"rng", "counter-based: every draw is seeded from run.seed, step, next_prompt_id and the data cursor"}};
  if (state.pending) write_pending_batch(dir, *state.pending);
  write_file_atomically(dir / kStateFile, json.dump(1) + "\n");
  write_file_atomically(dir / "config.yaml", config::render_annotated(resolved));
}

RunState read_run_state(const fs::path& dir) {
  const fs::path file = dir / kStateFile;
  std::ifstream in(file);
  if (!in) throw InputError(file.string() + ": cannot open");
  std::stringstream text;
  text << in.rdbuf();
  const nlohmann::json json = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) throw InputError(file.string() + ": not a JSON object");
  if (required<std::string>(json, "format", file) != kFormat) {
    throw InputError(file.string() + ": unknown format " + json["format"].dump() + " (this spct reads " + kFormat +
                     ")");
  }
  RunState state;
  state.step = required<int64_t>(json, "step", file);
  state.next_prompt_id = required<uint64_t>(json, "next_prompt_id", file);
  state.metrics_bytes = required<uint64_t>(json, "metrics_bytes", file);
  if (!json.contains("data")) throw InputError(file.string() + ": missing key \"data\"");
  state.data = json["data"];
  state.pending = read_pending_batch(dir);
  if (state.pending && state.pending->step != static_cast<uint64_t>(state.step)) {
    throw InputError((dir / "pending_batch.json").string() + ": holds the groups of step " +
                     std::to_string(state.pending->step) + ", but the checkpoint continues at step " +
                     std::to_string(state.step));
  }
  return state;
}

}  // namespace spct::train
