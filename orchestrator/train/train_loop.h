// The orchestrator's per-step loop: the whole data flow of a training step, top to bottom.
//
//   1. take rollout.prompts_per_step prompts from the data stream and encode them;
//   2. generate a group of rollout.group_size completions per prompt (rollout workers);
//   3. score every completion (reward workers);
//   4. with grpo.dynamic_sampling, drop groups whose rewards are all equal and generate more to refill;
//   5. update the policy (learners) and hand the new weights to the rollout workers;
//   6. write the step's metrics (metrics.jsonl, console) and the run status;
//   7. agree with every rank whether to stop (a signal reached one of them), and write a checkpoint when one is
//      due (every checkpoint.every steps, at the end, and on a stop).
// Asynchronous mode (rollout.mode async): steps 1-4 of step t+1 run while the learners do step 5 of step t, from
// the weights before that update (staleness 1; the learners correct with truncated importance weights). The
// first step collects its groups first, as in synchronous mode. A checkpoint saves the groups collected for the
// next step, so a resumed run trains on exactly what the uninterrupted run would have.
// At the end the final checkpoint's model is exported to `<run dir>/model/` (Hugging Face format); a run of
// zero steps exports the warm-started policy.
// Deterministic under run.seed: the data order, every sample's seed and every update depend on it alone, so a
// run resumed from a checkpoint continues exactly as the uninterrupted run would have.
#pragma once

#include <cstdint>
#include <optional>

#include "core/config/loader.h"
#include "models/tokenizer/tokenizer.h"
#include "orchestrator/run/run_directory.h"
#include "orchestrator/train/run_state.h"
#include "orchestrator/train/step_backend.h"

namespace spct::train {

enum class TrainOutcome {
  kFinished,      // all run.steps steps done; the model is exported
  kCheckpointed,  // stopped on a signal after writing a checkpoint (exit code 75)
};

// Runs the steps from `resume` (the state of the checkpoint the backend was restored from; nullopt: step 0)
// to config.run.steps through `backend`, then shuts it down. Writes into `run_dir`. REQUIRES: metrics.jsonl in
// `run_dir` is no longer than resume->metrics_bytes.
TrainOutcome run_training(const config::ResolvedConfig& resolved, const tokenizer::Tokenizer& tokenizer,
                          StepBackend& backend, const run::RunDirectory& run_dir,
                          const std::optional<RunState>& resume);

}  // namespace spct::train
