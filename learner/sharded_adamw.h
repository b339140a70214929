// ZeRO-style AdamW across data-parallel learners (Rajbhandari et al., "ZeRO: Memory Optimizations Toward
// Training Trillion Parameter Models", stages 1 and 2; distributed.zero_stage).
//
// The parameters are viewed as one flat vector (constructor order, each parameter row-major) of N elements,
// padded to a multiple of the learner count S. Learner r owns the contiguous slice [r * C, (r + 1) * C) with
// C = ceil(N / S): its AdamW moments m and v and the float32 master weights of that slice live only there, so
// each learner holds 12 C bytes of optimizer state instead of 12 N (8 N plus a float32 master for 16-bit
// parameters in the unsharded AdamW of learner/optimizer.h).
//
// One optimizer step:
//   reduce_gradients()  stage 1: takes this learner's slice of the gradients GradSync already averaged;
//                       stage 2: reduce-scatters every learner's local gradients (Communicator::reduce_scatter,
//                       kAvg) so only this learner's slice of the average arrives, instead of an all-reduce of
//                       all of it. Either way the parameters' full gradients are dropped afterwards, and the
//                       global L2 norm of the averaged gradient is returned (one all-reduce of a double).
//   clip()              clip_grad_norm's rule (learner/grad_norm.h) on the slice, with that global norm.
//   step()              AdamW's update (the same ATen ops as learner/optimizer.h, elementwise, so the slice gets
//                       exactly the values the unsharded optimizer computes for it), then an all-gather of the
//                       updated slices into every parameter. The gather moves the parameters' dtype when they
//                       share one (bf16 halves the bytes), else float32.
// So every learner ends each step with the same parameters as unsharded data-parallel AdamW, up to the order in
// which reduce-scatter and all-reduce sum the learners' gradients (last-bit float differences).
// Difference from AdamW: every element is updated each step; a parameter without a gradient counts as zeros
// (as GradSync makes it on every learner anyway), so its moments decay and weight decay applies.
//
// State, for checkpoints (each learner saves its own):
//   "step"        int64 scalar
//   "layout"      int64 [3]: N, S, r (which slice of which split this is)
//   "exp_avg", "exp_avg_sq", "master"   float32 [C], this learner's slice
// load_state() refuses a state saved by another learner count (or another model, or another learner's slice)
// with spct::InputError naming both counts; re-sharding is not supported: resume with the saved learner count.
//
// Thread safety: none; the thread that owns the communicator steps it. Collective calls (reduce_gradients,
// step, load_state) must be made by every learner in the same order.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "core/comm/communicator.h"
#include "learner/optimizer.h"

namespace spct::learner {

class ShardedAdamW {
 public:
  // `comm`: the learners' communicator (it must outlive this object). `stage`: 1 or 2 (above).
  // REQUIRES: every parameter is a defined float32, bfloat16 or float16 leaf tensor, all on one device, in the
  // same order and shapes on every learner. Throws spct::UsageError otherwise.
  ShardedAdamW(comm::Communicator& comm, std::vector<at::Tensor> params, const AdamWOptions& options, int stage);

  ShardedAdamW(const ShardedAdamW&) = delete;
  ShardedAdamW& operator=(const ShardedAdamW&) = delete;

  // Collective. Returns the global gradient norm (what grad_norm() gives on the averaged full gradients).
  double reduce_gradients();
  // Scales this learner's gradient slice by max_norm / (norm + 1e-6) when norm > max_norm > 0.
  void clip(double norm, double max_norm);
  // Collective: the update of this learner's slice, then every parameter all-gathered.
  void step();

  void set_lr(double lr);
  double lr() const { return options_.lr; }
  int64_t steps_taken() const { return step_; }
  int stage() const { return stage_; }

  int64_t total_elements() const { return total_; }
  int64_t shard_elements() const { return chunk_; }
  // Bytes of optimizer state this learner holds (moments and master of its slice).
  int64_t state_bytes() const { return 3 * chunk_ * 4; }

  NamedTensors state() const;
  // Throws spct::InputError on a state of another layout or shape; the optimizer is unchanged then.
  void load_state(const NamedTensors& state);

 private:
  comm::Communicator& comm_;
  const std::vector<at::Tensor> params_;
  std::vector<int64_t> offsets_;  // flat offset of each parameter
  int64_t total_ = 0;             // N
  int64_t chunk_ = 0;             // C
  int64_t begin_ = 0;             // r * C
  at::ScalarType gather_type_ = at::kFloat;
  at::Tensor master_;  // float32 [C]
  at::Tensor exp_avg_;
  at::Tensor exp_avg_sq_;
  at::Tensor grad_;  // float32 [C]: this learner's slice of the averaged gradient
  // Collective: every learner's updated slice into every parameter (the masters rounded to its dtype).
  void gather_parameters();

  AdamWOptions options_;
  int stage_;
  int64_t step_ = 0;
};

}  // namespace spct::learner
