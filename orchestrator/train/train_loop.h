// The orchestrator's per-step loop: the whole data flow of a training step, top to bottom.
//
//   1. take rollout.prompts_per_step prompts from the data stream and encode them;
//   2. generate a group of rollout.group_size completions per prompt (rollout workers);
//   3. score every completion (reward workers);
//   4. with grpo.dynamic_sampling, drop groups whose rewards are all equal and generate more to refill;
//   5. update the policy (learners) and hand the new weights to the rollout workers;
//   6. write the step's metrics (metrics.jsonl, console) and the run status.
// Deterministic under run.seed: the data order, every sample's seed and every update depend on it alone.
#pragma once

#include <cstdint>

#include "core/config/config.h"
#include "models/tokenizer/tokenizer.h"
#include "orchestrator/run/run_directory.h"
#include "orchestrator/train/step_backend.h"

namespace spct::train {

// Runs config.run.steps steps through `backend`, then shuts it down. Writes into `run_dir`.
void run_training(const config::Config& config, const tokenizer::Tokenizer& tokenizer, StepBackend& backend,
                  const run::RunDirectory& run_dir);

}  // namespace spct::train
