// The live state of a run as the orchestrator knows it, and its two renderings for the status endpoint:
// GET /status (JSON) and GET /metrics (Prometheus text exposition format, version 0.0.4).
//
// Thread safety: RunStatus is a value; the functions have no shared state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/metrics.h"

namespace spct::observe {

// One rank of the job as the orchestrator last heard from it.
struct RankSeen {
  int64_t rank = 0;
  std::string role;                  // comm::role_name: "orchestrator", "rollout worker", ...
  std::optional<int64_t> last_step;  // the last step (0-based) the rank answered in; nothing before the first
};

struct RunStatus {
  std::string run;                 // run.name
  std::string run_dir;             // <run.dir>/<run.name>
  std::string phase = "starting";  // what the orchestrator is doing: set by the job ("warm_start", "train", ...)
  std::string state = "running";   // running until the job ends, then its final state (finished, failed, ...)
  int64_t steps_done = 0;          // steps finished, counting from the run's first step
  int64_t total_steps = 0;         // run.steps
  double elapsed_s = 0;            // since the monitor started
  std::optional<double> eta_s;     // nothing until the first step is done
  std::optional<double> seconds_per_step;
  std::optional<int64_t> ranks_alive;  // ranks that answered in the last step; nothing before the first
  std::optional<int64_t> ranks_total;
  std::vector<RankSeen> ranks;       // every rank of the job, in rank order
  std::optional<int64_t> last_step;  // the 0-based index of the last step in metrics.jsonl
  Metrics metrics;                   // that step's metrics
};

// {"run", "run_dir", "phase", "state", "step", "total_steps", "elapsed_s", "eta_s", "seconds_per_step",
//  "ranks_alive", "ranks_total", "ranks": [{"rank", "role", "last_step"}, ...], "last_step", "metrics": {...}};
// unknown values and non-finite metrics are null. "step" is steps_done.
std::string status_json(const RunStatus& status);

// "reward/mean" -> "spct_reward_mean": the `spct_` prefix, then every character outside [A-Za-z0-9_] replaced
// by '_'.
std::string prometheus_name(std::string_view metric);

// The Prometheus exposition of `status`: spct_info{run,phase,state} 1, spct_steps_done, spct_total_steps,
// spct_elapsed_seconds, spct_eta_seconds and spct_ranks_alive / spct_ranks_total when known, then one gauge per
// metric of the last step, each with # HELP and # TYPE lines and the label run="<run>". When two metric names
// sanitise to the same Prometheus name only the first (in name order) is exported, because the format forbids
// a repeated family.
std::string prometheus_text(const RunStatus& status);

}  // namespace spct::observe
