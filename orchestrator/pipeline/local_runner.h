// `spct pipeline run`: the stages of a pipeline, one after another on this machine. Each stage is a child
// process (`spct train ...` or `spct eval ...`), so every stage is a fresh MPI job with its own ranks.
#pragma once

#include <ostream>
#include <string>

#include "orchestrator/pipeline/pipeline.h"

namespace spct::pipeline {

// True when the stage's run directory says it finished (status.json {"state": "finished"}). A missing or
// unreadable status file means "not finished".
bool stage_finished(const Stage& stage);

struct PipelineOutcome {
  int exit_code = 0;         // 0, or the exit code of the stage that failed
  std::string failed_stage;  // empty when every stage succeeded
  int stages_run = 0;
  int stages_skipped = 0;  // already finished before this run
};

// Runs every stage of `pipeline` that has not finished, in order, as `spct_executable <stage.arguments()>`
// (an inline config written to its file first), and stops at the first stage that fails. A report stage runs
// here, every time: it prints the summary table to `log` and writes summary.md and summary.json (summary.h).
// Progress lines go to `log`. Stage output goes to this process's stdout and stderr. Throws spct::Error when a
// stage cannot be started, spct::InputError when a report's eval results are missing or malformed.
PipelineOutcome run_pipeline(const Pipeline& pipeline, const std::string& spct_executable, std::ostream& log);

}  // namespace spct::pipeline
