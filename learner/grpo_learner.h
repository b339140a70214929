// The learner role's GRPO update: one call per training step on this learner's share of the step's groups.
//
// Per step (sync on-policy mode):
//   1. advantages per group from the rewards (learner/advantages.h); with grpo.kl_in = reward the per-sequence
//      KL to the reference model is subtracted from the rewards first;
//   2. old log-probs: the policy's log-probs of the sampled tokens before this step's first update (no grad),
//      at the sampling temperature (with one epoch of one minibatch and the KL not in the reward, the policy is
//      not updated before the step's last backward pass, so these are the current log-probs, detached, and
//      cost no forward pass of their own); reference log-probs from the frozen reference model when beta > 0;
//   3. grpo.epochs passes over grpo.minibatches minibatches of whole groups: loss (learner/grpo_loss.h) with the
//      minibatch's normaliser summed over all learners, backward (in passes whose gradients accumulate: at most
//      grpo.micro_batch_size completions, and with grpo.micro_batch_tokens length-sorted completions packed into
//      passes of at most that many padded tokens; with grpo.packing several sequences share a row behind a
//      block-diagonal mask, and with grpo.share_prompts each prompt is laid out once for the completions after it;
//      learner/micro_batches.h), gradients summed over learners,
//      global norm clipped, AdamW step
//      with the scheduled learning rate (with distributed.zero_stage 1 or 2 and several learners, the sharded
//      AdamW of learner/sharded_adamw.h: each learner updates its slice and the weights are all-gathered);
//   4. every grpo.ref_reset_every steps the reference model becomes a copy of the policy (iterative GRPO).
// Asynchronous mode (rollout.mode async): the groups were sampled by the policy one update behind. pi_old in
// the clipped ratio is still the policy before this step's first update (so the trust region is around the
// current weights), and each token's policy term is weighted by min(pi_old / pi_behaviour, grpo.importance_cap)
// with pi_behaviour from the sampler's log-probs (truncated importance sampling).
// With data-parallel learners every learner calls step() with the same number of groups; the all-reduces
// happen inside, so the update equals a single learner's update on the concatenated batch (up to float
// summation order) and every learner ends the step with identical weights.
//
// 16-bit parameters with several passes per update: each pass's bf16/fp16 gradient is added into a float32
// .grad() (one buffer per parameter, kept between steps), so the accumulation loses no low bits; the gradient
// sync, clipping and AdamW read that float32 gradient.
// Host syncs: the micro-batch loop never reads a device value; the step reads its statistics once at the end
// (and the gradient norm once per update).
//
// Not thread-safe: the learner rank's main thread owns it.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/comm/communicator.h"
#include "core/metrics.h"
#include "distributed/grad_sync.h"
#include "learner/advantages.h"
#include "learner/grpo_learner_options.h"
#include "learner/kl_controller.h"
#include "learner/learner_batch.h"
#include "learner/loss_options.h"
#include "learner/lr_schedule.h"
#include "learner/micro_batches.h"
#include "learner/optimizer.h"
#include "learner/sharded_adamw.h"
#include "models/transformer.h"

namespace spct::learner {

class GrpoLearner {
 public:
  // `policy` is trained in place and must outlive the learner. `peers` is the communicator of all learners
  // (nullptr or size 1 for a single learner). The reference model starts as a copy of `policy`. `options`
  // usually comes from grpo_learner_options(config).
  GrpoLearner(const GrpoLearnerOptions& options, models::Transformer& policy, comm::Communicator* peers);
  ~GrpoLearner();

  // One training step on `batch`. Returns this step's metrics (loss/*, kl, entropy, clip fractions, ratio
  // statistics, grad norm, lr), averaged over learners where that makes sense: identical on every learner.
  Metrics step(const LearnerBatch& batch, int64_t step);

  // SHA-256 of the policy's parameter bytes: equal on every learner after every step.
  std::string weights_digest() const;

  // The optimizer state in AdamW's format (learner/optimizer.h), the same whether sharded or not. Collective
  // with distributed.zero_stage 1 or 2: every learner calls it; `keep` false on those that only take part (they
  // get nothing back and hold no copy of the whole state). Unsharded, the tensors are the optimizer's own
  // (AdamW::state()): write them before the next update().
  NamedTensors optimizer_state(bool keep = true);
  // Restores a state of that format (from any learner count or stage). Throws spct::InputError on a mismatch.
  void load_optimizer_state(const NamedTensors& state);
  KlController& kl_controller() { return kl_; }

  // The rest of the state a checkpoint holds (learner_checkpoint.h): the frozen reference model and the count
  // of optimizer updates the learning-rate schedule is at.
  models::Transformer& reference() { return *reference_; }
  int64_t optimizer_steps() const { return optimizer_steps_; }
  void set_optimizer_steps(int64_t steps) { optimizer_steps_ = steps; }

  // Turn-taking on device memory in a colocated job (orchestrator/train/turn_taking.h). offload() moves the
  // optimizer state to host memory (AdamW::offload_state) and releases every gradient (the policy's .grad() and
  // the float32 accumulation buffers); reload() brings the state back and makes new, zeroed buffers. step()
  // reloads first if needed. The gradients are zeroed before each update anyway, so the updates are bitwise
  // those of a learner that never offloaded. REQUIRES: a single learner (no ZeRO sharding). Both are no-ops when
  // already done. offloaded_bytes(): what offload() moves or released (state and gradient buffers).
  void offload();
  void reload();
  bool offloaded() const;
  int64_t offloaded_bytes() const;

 private:
  struct Prepared;
  Prepared prepare(const LearnerBatch& batch);
  // Drops every parameter's gradient; a 16-bit parameter that accumulates in float32 gets its buffer, zeroed
  // (or a fresh zero one).
  void zero_grad();
  // Whether `param`'s gradient accumulates in float32 over the passes of an update (16-bit, several passes).
  bool float32_accumulation(const at::Tensor& param) const;
  // A zero float32 gradient for `param` when it accumulates in float32, else an undefined tensor.
  at::Tensor fresh_grad(const at::Tensor& param) const;
  // The float32 gradient buffers kept across updates (see grad_buffers_), zeroed; none at ZeRO stage 2.
  std::vector<at::Tensor> make_grad_buffers() const;
  // Clips and applies the (already summed, for stages 0 and 1) gradients at the scheduled learning rate.
  // Collective with several learners. Returns the global gradient norm before clipping.
  double update();
  // Sums `values` over all learners in place.
  void sum_over_learners(std::vector<double>& values) const;

  const GrpoLearnerOptions options_;
  models::Transformer& policy_;
  comm::Communicator* const peers_;
  std::unique_ptr<models::Transformer> reference_;
  std::unique_ptr<distributed::GradSync> grad_sync_;  // null for a single learner
  std::vector<at::Tensor> params_;
  std::unique_ptr<AdamW> optimizer_;       // exactly one of these two is set
  std::unique_ptr<ShardedAdamW> sharded_;  // distributed.zero_stage 1 or 2 with several learners
  LrSchedule schedule_;
  LossOptions loss_options_;
  AdvantageOptions advantage_options_;
  KlController kl_;
  double logprob_temperature_;
  const MicroBatchLimits micro_batch_limits_;  // grpo.micro_batch_size, micro_batch_tokens and packing
  // Per parameter: the float32 gradient of a 16-bit one kept across updates, or undefined (ZeRO stage 2 makes a
  // fresh one each update, see zero_grad).
  std::vector<at::Tensor> grad_buffers_;
  bool sharded_drops_grads_ = false;    // ZeRO stage 2 with several learners: gradients leave during backward
  const int64_t logprob_chunk_tokens_;  // model.logprob_chunk_tokens
  const bool importance_sampling_;      // async mode with grpo.importance_cap > 0
  int64_t optimizer_steps_ = 0;
};

}  // namespace spct::learner
