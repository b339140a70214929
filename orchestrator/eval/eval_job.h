// `spct eval` after the config is loaded: evaluates a GRM or a policy (eval.target) and records the result.
//
// Every evaluation is a run of its own: it creates `<run.dir>/<run.name>/` like `spct train` (config.yaml,
// config.hash, status.json) and writes eval.json there (orchestrator/eval/eval_report.h), so that a pipeline
// stage `command: eval` gets its own stage directory and evaluating never writes into a training run. The
// model evaluated is named by a path (grm.model_path, model.path), typically a training run's `model/`.
//
// eval.target auto picks grm for preference data (data.task: preference, or data.format: preference) and
// policy otherwise. GRM items: the synthetic preference task's eval split (data.eval_size items), or a JSONL
// file of RewardBench pairs / listwise items (data.eval_path, else data.path; the first eval.max_items when
// that is > 0). Policy items: the task's eval split (policy_eval.h).
#pragma once

#include "core/config/loader.h"

namespace spct::eval {

// Runs the evaluation in this process and prints its table to stdout. Throws spct::UsageError for a config
// that names no usable data or model for the target, spct::InputError for unreadable data or model files.
void run_eval_job(const config::ResolvedConfig& resolved);

}  // namespace spct::eval
