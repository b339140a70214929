// The supervised warm start (config section sft): before GRPO, the learners fine-tune the policy on training
// prompts and their reference answers, so that sampling starts where the verifier sometimes says yes.
//
// The examples come from the training source in an order of their own (seeded from run.seed, apart from the
// GRPO stream), sft.batch_size per step split evenly over the learners; the target is the answer's tokens and
// the end-of-sequence token.
#pragma once

#include "core/comm/communicator.h"
#include "core/config/config.h"
#include "core/metrics.h"
#include "models/tokenizer/tokenizer.h"
#include "models/transformer.h"

namespace spct::train {

// Runs sft.warmup_steps steps on `policy` as learner `learner_index` of `learner_count` (`learners` is their
// communicator, nullptr for one). Returns sft/loss_first and sft/loss_last (means over learners).
// REQUIRES: config.sft.warmup_steps > 0.
Metrics warm_start(const config::Config& config, const tokenizer::Tokenizer& tokenizer, models::Transformer& policy,
                   comm::Communicator* learners, int learner_index, int learner_count);

}  // namespace spct::train
