#include "learner/grpo_learner_options.h"

#include <algorithm>

#include "core/config/config.h"

namespace spct::learner {

GrpoLearnerOptions grpo_learner_options(const config::Config& config) {
  const config::GrpoSection& grpo = config.grpo;
  GrpoLearnerOptions o;
  o.loss = from_config(grpo, config.rollout.max_new_tokens);
  // A run of 0 steps (warm start only) never updates; its schedule just has to exist.
  o.lr_schedule =
      lr_schedule_from_config(grpo, std::max<int64_t>(1, config.run.steps * grpo.epochs * grpo.minibatches)).options();
  o.adamw = adamw_options_from_config(grpo);
  o.advantages = {.std_normalize = grpo.std_normalize, .eps = grpo.advantage_eps};
  o.kl_target = grpo.kl_target;
  o.kl_horizon = grpo.kl_horizon;
  o.epochs = grpo.epochs;
  o.minibatches = grpo.minibatches;
  o.micro_batch_size = grpo.micro_batch_size;
  o.micro_batch_tokens = grpo.micro_batch_tokens;
  o.packing = grpo.packing;
  o.share_prompts = grpo.share_prompts;
  o.grad_clip = grpo.grad_clip;
  o.ref_reset_every = grpo.ref_reset_every;
  o.logprob_temperature = config.rollout.temperature > 0 ? config.rollout.temperature : 1.0;
  o.logprob_chunk_tokens = config.model.logprob_chunk_tokens;
  o.importance_sampling = config.rollout.mode == config::RolloutMode::kAsync && grpo.importance_cap > 0;
  o.moe_aux_loss_coef = config.model.moe.aux_loss_coef;
  o.bucket_mb = config.distributed.bucket_mb;
  o.zero_stage = config.distributed.zero_stage;
  return o;
}

}  // namespace spct::learner
