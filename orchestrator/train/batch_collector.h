// Steps 1-4 of a training step (train_loop.h): sample and score the groups of one step through the backend.
#pragma once

#include <cstdint>

#include "core/config/config.h"
#include "orchestrator/data/prompt_stream.h"
#include "orchestrator/observe/run_monitor.h"
#include "orchestrator/train/collected_batch.h"
#include "orchestrator/train/prompt_encoder.h"
#include "orchestrator/train/step_backend.h"

namespace spct::train {

// Collects step `step`'s batch through `backend`: takes rollout.prompts_per_step prompts from `stream`,
// generates a group per prompt, scores every group and, with grpo.dynamic_sampling, drops groups whose rewards
// are all equal and samples more prompts to refill (at most a few rounds; then it trains on what it has). Keeps
// whole learner shards only (layout.learners x grpo.minibatches groups). Adds the time spent generating and
// scoring to `times`. With `keep_here` every group comes to the orchestrator (generate() then score()); without,
// the groups stay with the rollout workers and only their summaries and rewards come (sample_direct()).
CollectedBatch collect_batch(uint64_t step, const config::Config& config, StepBackend& backend,
                             data::PromptStream& stream, PromptEncoder& encoder, observe::RunMonitor& monitor,
                             PhaseTimes& times, bool keep_here);

}  // namespace spct::train
