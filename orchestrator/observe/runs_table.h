// How `spct runs` shows what list_runs() found: an aligned text table for people, JSON for scripts.
//
// Thread safety: free functions without shared state.
#pragma once

#include <string>
#include <vector>

#include "orchestrator/observe/run_listing.h"

namespace spct::observe {

// One row per run under a header:
//   RUN  STATE  STEP  REWARD  ACC  KL  TOK/S  UPDATED  NOTE
// STEP is "12/40" when the total is known; metrics come from the last metrics line; UPDATED is the age of the
// newest of status.json and metrics.jsonl at `now_unix`; NOTE is the reason or status message. "-" marks what a
// run does not have. Ends with a newline; "" for no runs.
std::string format_runs_table(const std::vector<RunSummary>& runs, double now_unix);

// A JSON array, one object per run: {"name", "path", "state", "reason", "steps_done", "total_steps",
// "last_step", "updated_unix", "metrics": {...}}; missing values are null. Ends with a newline.
std::string runs_json(const std::vector<RunSummary>& runs);

}  // namespace spct::observe
