// AdamW (Loshchilov & Hutter) on a list of parameter tensors, updated in place (one pass over memory for float32
// state on the CPU, ATen operations elsewhere: adamw_update below). For each parameter p with gradient g, at
// optimizer step t = 1, 2, ...:
//   p  <- p * (1 - lr * weight_decay)                       decoupled weight decay
//   m  <- beta1 m + (1 - beta1) g
//   v  <- beta2 v + (1 - beta2) g^2
//   p  <- p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
// which is torch.optim.AdamW's update. Parameters whose gradient is undefined are left alone (their moments
// do not decay); t counts optimizer steps, shared by all parameters.
//
// Mixed precision: the update runs in float32 whatever the parameters' dtype. m and v are float32, and a
// parameter in a 16-bit dtype (bfloat16, float16) gets a float32 master copy that the update applies to; the
// parameter is then the master rounded to its dtype. So an update far below one bf16 ulp of a weight still
// accumulates in the master and moves the weight once the sum crosses half an ulp, instead of being rounded
// away every step. float32 parameters are updated in place (they are their own master).
//
// The state is exposed as named tensors so a checkpoint can save and restore it exactly:
//   "step"             int64 scalar, the number of steps taken
//   "exp_avg.<i>"      m of parameter i (in constructor order), same shape as the parameter, float32
//   "exp_avg_sq.<i>"   v of parameter i, float32
//   "master.<i>"       the float32 master of parameter i, only for parameters in a 16-bit dtype
// load_state() also takes the states of earlier versions (moments in the parameter's dtype, no master: the
// master then starts from the parameter).
//
// The master is taken from the parameter at construction and at load_state(): anything else that changes a
// 16-bit parameter in between is overwritten by the next step().
//
// Ownership: holds references to the caller's parameter tensors (shared storage) and owns its moments.
// Thread safety: none; one thread steps it, and nothing else may touch the parameters during step().
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace spct::config {
struct GrpoSection;
}

namespace spct::learner {

struct AdamWOptions {
  double lr = 1e-3;           // REQUIRES: >= 0; changed per step with set_lr() (learner/lr_schedule.h)
  double beta1 = 0.9;         // REQUIRES: 0 <= beta1 < 1
  double beta2 = 0.999;       // REQUIRES: 0 <= beta2 < 1
  double eps = 1e-8;          // REQUIRES: > 0
  double weight_decay = 0.0;  // REQUIRES: >= 0
};

using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

class AdamW {
 public:
  // REQUIRES: every parameter is a defined floating-point leaf tensor; options as above. Throws spct::Error
  // (spct::UsageError for bad options) otherwise.
  AdamW(std::vector<at::Tensor> params, const AdamWOptions& options);

  AdamW(const AdamW&) = delete;
  AdamW& operator=(const AdamW&) = delete;

  // One update of every parameter that has a gradient, at the current learning rate, each gradient multiplied
  // by grad_scale as it is read (clip_coefficient of learner/grad_norm.h: clipping without a pass of its own).
  void step(double grad_scale = 1.0);

  // Drops every parameter's gradient (sets it undefined, so the next backward() allocates fresh).
  void zero_grad();

  void set_lr(double lr);
  double lr() const { return options_.lr; }
  int64_t steps_taken() const { return step_; }
  const std::vector<at::Tensor>& params() const { return params_; }

  // The state, named as above. The tensors are the optimizer's own, not copies: a copy would double the
  // moments' memory while a checkpoint is written (+4 GB at 0.5B, the learner's peak). They change with the
  // next step() or load_state(); clone them to keep a snapshot across one.
  NamedTensors state() const;

  // Restores a state() exactly. Throws spct::InputError naming the first missing, unexpected or mis-shaped
  // entry (a checkpoint of another model or optimizer); the optimizer is unchanged then.
  void load_state(const NamedTensors& state);

  // Turn-taking on device memory (orchestrator/train/turn_taking.h): offload_state() moves the moments and
  // masters into new host tensors (pinned when they come from a GPU, so the copies run at full bus speed) and
  // drops the device ones; reload_state() moves them into new tensors on the parameters' device. Each call
  // allocates anew, so on the CPU too the state really moves to separate tensors. The values are copied exactly,
  // so the updates are bitwise those of an optimizer that never moved. state() and load_state() work in either
  // place. REQUIRES: step() only while loaded. Both are no-ops when the state already is where they would put it.
  void offload_state();
  void reload_state();
  bool offloaded() const { return offloaded_; }
  // Bytes of the moments and masters.
  int64_t state_bytes() const;

 private:
  const std::vector<at::Tensor> params_;
  std::vector<at::Tensor> master_;  // float32 copy of a 16-bit parameter; undefined for float32 ones
  std::vector<at::Tensor> exp_avg_;
  std::vector<at::Tensor> exp_avg_sq_;
  AdamWOptions options_;
  int64_t step_ = 0;
  bool offloaded_ = false;
};

// Elements per slice of adamw_update's ATen operations (4M: a 16 MB float32 temporary).
inline constexpr int64_t kAdamWSliceElements = int64_t{1} << 22;

// AdamW's update of one float32/float64 tensor in place, at optimizer step `step` (1-based, for the bias
// correction): decoupled weight decay, then the moments, then the step. `grad` has `param`'s shape, and its dtype
// or a 16-bit one. `rounded`, when defined, is a tensor of `param`'s shape in a 16-bit dtype (the model weight
// whose master `param` is) that gets the updated values rounded to nearest. Each gradient element is multiplied
// by `grad_scale` first (global-norm clipping, learner/grad_norm.h's clip_coefficient): the one-pass CPU update
// as it reads it, without a pass of its own; the ATen path in place, so `grad` then holds the scaled gradient
// (unless it was converted to `param`'s dtype first).
// Contiguous float32 state on the CPU takes one pass over memory (learner/adamw_cpu.h); anything else, ATen operations
// on slices. Every operation is elementwise, so a slice of a tensor gets exactly the whole tensor's values: AdamW and
// the ZeRO-sharded optimizer (learner/sharded_adamw.h) both call this, and a shard's update equals the unsharded one.
void adamw_update(const AdamWOptions& options, int64_t step, at::Tensor& param, const at::Tensor& grad,
                  at::Tensor& exp_avg, at::Tensor& exp_avg_sq, at::Tensor rounded = at::Tensor(),
                  double grad_scale = 1.0);

// The same update with ATen operations, for any floating dtype and device (`grad` in `param`'s dtype): seven passes
// over each slice of kAdamWSliceElements, which bounds the one temporary (denom) instead of sizing it to the
// largest parameter (the embedding of a 150k vocabulary: 0.5 GB at 0.5B parameters). adamw_update's path where
// the one-pass CPU update does not apply.
void adamw_update_aten(const AdamWOptions& options, int64_t step, at::Tensor& param, const at::Tensor& grad,
                       at::Tensor& exp_avg, at::Tensor& exp_avg_sq);

// Throws spct::UsageError naming the first option outside the ranges above.
void check_adamw_options(const AdamWOptions& options);

// AdamW options of the grpo section: lr, adam_beta1, adam_beta2, adam_eps, weight_decay.
AdamWOptions adamw_options_from_config(const config::GrpoSection& grpo);

}  // namespace spct::learner
