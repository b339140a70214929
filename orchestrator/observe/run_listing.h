// The runs under a directory, as `spct runs` lists them: each run's state, last step and key metrics, read
// from the files the run wrote (status.json, metrics.jsonl, config.yaml).
//
// A run directory is one holding status.json, metrics.jsonl or config.yaml. list_runs() looks at the directory
// itself and two levels below it, because runs live at <run.dir>/<run.name> and pipelines nest them as
// <pipeline dir>/<pipeline>/<stage>; it does not look inside a run (checkpoints/, model/, tensorboard/).
//
// Nothing a run left behind makes listing fail: a missing, half-written or corrupt status.json gives state
// "unknown" with the reason; a torn last line of metrics.jsonl (a run killed mid-write) is skipped for the last
// complete line. A "running" run whose status.json names a pid on this host that no longer exists is "stale".
//
// Thread safety: free functions without shared state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/metrics.h"

namespace spct::observe {

struct RunSummary {
  std::string name;    // the run's path relative to the listed directory ("grm-pipeline/rft"), "." for itself
  std::string path;    // the run directory
  std::string state;   // status.json's state (running, finished, failed, checkpointed, ...), "stale" or "unknown"
  std::string reason;  // why the state is unknown or stale, or the message status.json carries; "" otherwise
  std::optional<int64_t> steps_done;   // status.json's step, else the number of the last metrics line + 1
  std::optional<int64_t> total_steps;  // status.json's total_steps when it has one
  std::optional<int64_t> last_step;    // "step" of the last complete metrics.jsonl line
  Metrics last_metrics;                // that line's numeric values (without "step")
  std::optional<double> updated_unix;  // latest modification time of status.json and metrics.jsonl
};

// The runs under `dir`, sorted by name. Throws spct::UsageError when `dir` does not exist or is not a directory.
std::vector<RunSummary> list_runs(const std::string& dir);

// One run directory's summary; `name` is copied into it.
RunSummary read_run(const std::string& path, const std::string& name);

// The last line of the file at `path` that parses as a JSON object, as text; nothing when there is none or the
// file cannot be read. Reads only the end of a large file.
std::optional<std::string> last_json_line(const std::string& path);

}  // namespace spct::observe
