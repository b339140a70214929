// ZeRO-style AdamW across data-parallel learners (Rajbhandari et al., "ZeRO: Memory Optimizations Toward
// Training Trillion Parameter Models", stages 1 and 2; distributed.zero_stage).
//
// The parameters are viewed as one flat vector (constructor order, each parameter row-major) of N elements,
// padded to a multiple of the learner count S. Learner r owns the contiguous slice [r * C, (r + 1) * C) with
// C = ceil(N / S): its AdamW moments m and v (and, when some parameter is 16-bit, the float32 master weights) of
// that slice live only there. Per learner that is 8 C bytes for a float32 model (the parameters are their own
// masters: the slice is read back from them for each update) and 12 C for a 16-bit one, instead of 8 N and 12 N
// in the unsharded AdamW of learner/optimizer.h.
//
// One optimizer step:
//   reduce_gradients()  stage 1: takes this learner's slice of the gradients GradSync already averaged;
//                       stage 2: reduce-scatters every learner's local gradients (Communicator::reduce_scatter,
//                       kAvg, in rounds of at most bucket_elements) so only this learner's slice of the average
//                       arrives, instead of an all-reduce of all of it (half the bytes on the wire). The full
//                       local gradient still exists after backward (no per-bucket hook yet). Either way the
//                       parameters' full gradients are then dropped, and the global L2 norm of the averaged
//                       gradient is returned (one all-reduce of a double).
//   clip()              clip_grad_norm's rule (learner/grad_norm.h) on the slice, with that global norm.
//   step()              AdamW's update (the same ATen ops as learner/optimizer.h, elementwise, so the slice gets
//                       exactly the values the unsharded optimizer computes for it), then an all-gather of the
//                       updated slices into every parameter, in rounds as above. The gather moves the
//                       parameters' dtype when they share one (bf16 halves the bytes), else float32.
// So every learner ends each step with the same parameters as unsharded data-parallel AdamW, up to the order in
// which reduce-scatter and all-reduce sum the learners' gradients (last-bit float differences).
// Difference from AdamW: every element is updated each step; a parameter without a gradient counts as zeros
// (as GradSync makes it on every learner anyway), so its moments decay and weight decay applies.
//
// State, for checkpoints: the same names, shapes and values as unsharded AdamW's state (learner/optimizer.h:
// step, exp_avg.<i>, exp_avg_sq.<i>, master.<i> for 16-bit parameters), gathered from every learner's slice by
// state() (collective, in bucket-sized rounds; the learner that writes the checkpoint keeps the whole state, the
// others drop it as it passes). load_state() takes such a state, whichever learner count or stage (or unsharded
// AdamW) wrote it, and keeps this learner's slice, so a run resumes with another learner count. The price: the
// writing learner briefly holds the full optimizer state while it writes, and every learner reads the whole file
// on resume.
//
// Thread safety: none; the thread that owns the communicator steps it. Collective calls (reduce_gradients,
// step, state) must be made by every learner in the same order.
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
  // `bucket_elements` (stage 2): at most this many gradient elements are reduce-scattered at once (0: all),
  // which bounds the flat staging buffer next to the gradients.
  // REQUIRES: every parameter is a defined float32, bfloat16 or float16 leaf tensor, all on one device, in the
  // same order and shapes on every learner. Throws spct::UsageError otherwise.
  ShardedAdamW(comm::Communicator& comm, std::vector<at::Tensor> params, const AdamWOptions& options, int stage,
               int64_t bucket_elements = 0);

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
  // Bytes of optimizer state this learner holds between steps (moments, and masters for 16-bit weights).
  int64_t state_bytes() const { return (keep_master_ ? 3 : 2) * chunk_ * 4; }

  // Collective (every learner calls it). The whole state, named as AdamW::state(); with keep false (learners
  // that do not write the checkpoint) nothing is kept, and only a bucket-sized buffer is used at a time.
  NamedTensors state(bool keep = true);
  // Not collective: restores this learner's slice of an AdamW-format state. Throws spct::InputError naming the
  // first missing, unexpected or mis-shaped entry; the optimizer is unchanged then. The parameters must already
  // hold the checkpoint's weights (float32 parameters are their own masters).
  void load_state(const NamedTensors& state);

 private:
  comm::Communicator& comm_;
  const std::vector<at::Tensor> params_;
  std::vector<int64_t> offsets_;  // flat offset of each parameter
  int64_t total_ = 0;             // N
  int64_t chunk_ = 0;             // C
  int64_t begin_ = 0;             // r * C
  const int64_t bucket_elements_;
  at::ScalarType gather_type_ = at::kFloat;
  bool keep_master_ = false;  // some parameter is 16-bit; else the parameters are their own masters
  at::Tensor master_;         // float32 [C], when keep_master_
  at::Tensor exp_avg_;
  at::Tensor exp_avg_sq_;
  at::Tensor grad_;  // float32 [C]: this learner's slice of the averaged gradient, from reduce_gradients to step

  // Copies elements [begin, begin + count) of the flat concatenation of `tensors` (one per parameter; undefined
  // ones count as zeros, left as they are in `into`) into `into`, a float32 [count] tensor.
  void copy_range(const std::vector<at::Tensor>& tensors, int64_t begin, int64_t count, at::Tensor& into) const;
  // Elements of each learner's slice moved per collective (bucket_elements / learners; all of it when 0).
  int64_t round_elements() const;
  // Collective: every learner's `slice` (float32 or the parameters' dtype, [C]) all-gathered in rounds into
  // `into` (one tensor per parameter, written where it overlaps; none: gathered and dropped).
  void gather_rounds(const at::Tensor& slice, const std::vector<at::Tensor>& into);
  // Collective: every learner's updated slice `master` into every parameter (rounded to its dtype).
  void gather_parameters(const at::Tensor& master);

  AdamWOptions options_;
  int stage_;
  int64_t step_ = 0;
};

}  // namespace spct::learner
