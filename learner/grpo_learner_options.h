// What a GrpoLearner is told (learner/grpo_learner.h): every setting it reads, in one plain struct whose
// defaults are those of an empty experiment config. grpo_learner_options() fills it from the config; tests and
// benchmarks may also set fields directly.
#pragma once

#include <cstdint>

#include "learner/advantages.h"
#include "learner/loss_options.h"
#include "learner/lr_schedule.h"
#include "learner/optimizer.h"

namespace spct::config {
struct Config;
}

namespace spct::learner {

struct GrpoLearnerOptions {
  // The GRPO-family loss (grpo.clip_low/high, dual_clip, beta, kl_estimator, kl_in, loss_aggregation,
  // entropy_coef, overlong_filter, importance_cap; rollout.max_new_tokens as Dr. GRPO's constant).
  LossOptions loss;
  // Peak grpo.lr, grpo.warmup_steps, grpo.lr_schedule and grpo.min_lr_ratio over the run's optimizer updates
  // (run.steps * grpo.epochs * grpo.minibatches, at least 1: a run of 0 steps never updates).
  LrScheduleOptions lr_schedule;
  AdamWOptions adamw;           // grpo.lr, adam_beta1, adam_beta2, adam_eps, weight_decay
  AdvantageOptions advantages;  // grpo.std_normalize, advantage_eps
  // The adaptive KL controller (learner/kl_controller.h) starts at loss.beta and aims at kl_target (0: fixed
  // beta) over kl_horizon steps.
  double kl_target = 0.0;
  int64_t kl_horizon = 10000;
  int64_t epochs = 1;            // grpo.epochs: passes over the step's groups
  int64_t minibatches = 1;       // grpo.minibatches: optimizer updates per epoch
  int64_t micro_batch_size = 0;  // grpo.micro_batch_size: completions per forward/backward pass; 0 = a minibatch
  // grpo.micro_batch_tokens: padded tokens per pass, length-sorted completions packed greedily (learner/
  // micro_batches.h); 0 = no token budget.
  int64_t micro_batch_tokens = 0;
  // grpo.packing: several sequences per row of a pass, block-diagonal attention (learner/micro_batches.h).
  bool packing = false;
  // grpo.share_prompts: packed rows hold each prompt once for the completions after it (learner/micro_batches.h).
  bool share_prompts = false;
  double grad_clip = 1.0;       // grpo.grad_clip: global gradient-norm bound; 0 = off
  int64_t ref_reset_every = 0;  // grpo.ref_reset_every: steps between reference resets; 0 = never
  // The temperature the sampler used (rollout.temperature; 1 for greedy decoding): log-probs are taken at it.
  double logprob_temperature = 1.0;
  int64_t logprob_chunk_tokens = 1024;  // model.logprob_chunk_tokens
  // Truncated importance weights against the sampler's log-probs: rollout.mode async with
  // grpo.importance_cap > 0 (the cap itself is loss.importance_cap).
  bool importance_sampling = false;
  // model.moe.aux_loss_coef: the router load-balancing loss weight; < 0 takes the model's config.json value.
  double moe_aux_loss_coef = -1;
  double bucket_mb = 25;   // distributed.bucket_mb: gradient all-reduce bucket size
  int64_t zero_stage = 0;  // distributed.zero_stage (with several learners)
};

// The options of a learner of `config`'s run. Throws spct::UsageError naming the key when a loss option is
// inconsistent (learner/loss_options.h).
GrpoLearnerOptions grpo_learner_options(const config::Config& config);

}  // namespace spct::learner
