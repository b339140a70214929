// ZeRO-style AdamW across data-parallel learners (Rajbhandari et al., "ZeRO: Memory Optimizations Toward
// Training Trillion Parameter Models", stages 1 and 2; distributed.zero_stage).
//
// Shards by gradient bucket. The parameters are grouped into buckets of at most `bucket_elements` elements
// (distributed.bucket_mb), filled in reverse parameter order as GradSync fills its buckets (the order backward
// produces gradients in; a parameter bigger than a bucket gets one of its own). Bucket b of E_b elements is cut
// into S equal pieces of P_b = ceil(E_b / S) elements (S learners; the last piece is padded with zeros), and
// learner r owns piece r of every bucket: its AdamW moments m and v (and, when some parameter is 16-bit, the
// float32 master weights) of those pieces, concatenated in bucket order into a shard of C = sum P_b elements,
// live only there. Per learner that is 8 C bytes for a float32 model (the parameters are their own masters: the
// shard is read back from them for each update) and 12 C for a 16-bit one, instead of 8 N and 12 N in the
// unsharded AdamW of learner/optimizer.h.
//
// One optimizer step:
//   arm()               stage 2, optional: the next backward (the last micro-batch of an accumulation) reduces
//                       the gradients as it goes. Each parameter's post-accumulate-grad hook copies its
//                       accumulated .grad() into its bucket and drops .grad() at once (the bucket owns the values);
//                       a bucket whose parameters are all in starts its reduce-scatter
//                       (Communicator::start_reduce_scatter, kAvg) into this learner's piece while backward goes on
//                       with earlier layers. Buckets start strictly in bucket order, so every learner starts the
//                       same collectives in the same order even when a parameter gets no gradient on one of them.
//                       A bucket's buffer exists from its first gradient until its reduce-scatter completes (the
//                       owning thread polls the started ones from the hooks and waits for the oldest when more
//                       than kInFlight are pending), so on the CPU the full local gradient never exists at once:
//                       what lives is the gradient autograd is accumulating, the bucket filling, and at most
//                       kInFlight + 1 buckets on the wire. On a GPU the hooks run on autograd's device thread,
//                       which starts buckets (NCCL) but does not free finished ones: every bucket's float32
//                       buffer lives until reduce_gradients(), the whole gradient in float32 (not yet run on a
//                       GPU; freeing them from that thread is the next step).
//   reduce_gradients()  stage 1: takes this learner's pieces of the gradients GradSync already averaged;
//                       stage 2: starts the buckets the hooks did not (all of them without arm(); parameters
//                       without a gradient count as zeros) and waits for every one, so only this learner's pieces
//                       of the average arrive instead of an all-reduce of all of it (half the bytes on the wire).
//                       Either way the parameters' full gradients are then dropped, and the global L2 norm of the
//                       averaged gradient is returned (one all-reduce of a double). With or without arm() the
//                       buckets hold the same values, so both give the same bits.
//   clip()              clip_coefficient's rule (learner/grad_norm.h) on the shard, with that global norm.
//   step()              AdamW's update (the same ATen ops as learner/optimizer.h, elementwise, so the shard gets
//                       exactly the values the unsharded optimizer computes for it), then an all-gather of every
//                       bucket's updated pieces into the parameters, bucket by bucket. The gather moves the
//                       parameters' dtype when they share one (bf16 halves the bytes), else float32.
// So every learner ends each step with the same parameters as unsharded data-parallel AdamW, up to the order in
// which reduce-scatter and all-reduce sum the learners' gradients (last-bit float differences).
// Difference from AdamW: every element is updated each step; a parameter without a gradient counts as zeros
// (as GradSync makes it on every learner anyway), so its moments decay and weight decay applies.
// Gradient accumulation: only the armed (last) backward is reduced as it goes; the micro-batches before it
// accumulate full local gradients in .grad() as without sharding.
//
// State, for checkpoints: the same names, shapes and values as unsharded AdamW's state (learner/optimizer.h:
// step, exp_avg.<i>, exp_avg_sq.<i>, master.<i> for 16-bit parameters), gathered from every learner's shard by
// state() (collective, bucket by bucket; the learner that writes the checkpoint keeps the whole state, the
// others drop it as it passes). load_state() takes such a state, whichever learner count, stage or bucket size
// (or unsharded AdamW) wrote it, and keeps this learner's pieces, so a run resumes with another learner count.
// The price: the writing learner briefly holds the full optimizer state while it writes, and every learner
// reads the whole file on resume.
//
// Thread safety: the thread that owns the communicator steps it. On a GPU, autograd runs the hooks on its device
// thread; buckets start there only when the communicator allows it (starts_off_thread: NCCL), else they wait for
// reduce_gradients() on the owning thread. Collective calls (reduce_gradients, step, state) must be made by every
// learner in the same order.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "core/comm/communicator.h"
#include "learner/optimizer.h"

namespace spct::learner {

class ShardedAdamW {
 public:
  // `comm`: the learners' communicator (it must outlive this object). `stage`: 1 or 2 (above).
  // `bucket_elements`: at most this many gradient elements per bucket (0: one bucket of all), which bounds the
  // flat buffers next to the gradients and the gathers' buffers.
  // REQUIRES: every parameter is a defined float32, bfloat16 or float16 leaf tensor, all on one device, in the
  // same order and shapes on every learner. Throws spct::UsageError otherwise.
  ShardedAdamW(comm::Communicator& comm, std::vector<at::Tensor> params, const AdamWOptions& options, int stage,
               int64_t bucket_elements = 0);
  // Removes the hooks from the parameters.
  ~ShardedAdamW();

  ShardedAdamW(const ShardedAdamW&) = delete;
  ShardedAdamW& operator=(const ShardedAdamW&) = delete;

  // Stage 2 (spct::UsageError at stage 1): the next backward pass completes the gradients, and its hooks start
  // the buckets' reduce-scatters as they fill. Call it before that backward() and follow it with
  // reduce_gradients(). Gradient accumulation calls it before the last micro-batch only.
  void arm();
  // Collective. Returns the global gradient norm (what grad_norm() gives on the averaged full gradients).
  double reduce_gradients();
  // Scales this learner's gradient shard by max_norm / (norm + 1e-6) when norm > max_norm > 0.
  void clip(double norm, double max_norm);
  // Collective: the update of this learner's shard, then every parameter all-gathered.
  void step();

  void set_lr(double lr);
  double lr() const { return options_.lr; }
  int64_t steps_taken() const { return step_; }
  int stage() const { return stage_; }

  int64_t total_elements() const { return total_; }
  int64_t shard_elements() const { return chunk_; }
  size_t bucket_count() const { return buckets_.size(); }
  // Buckets the last reduce_gradients() found already started by the hooks (for tests and metrics: 0 without
  // arm()).
  size_t started_in_backward() const { return started_in_backward_; }
  // Bytes of optimizer state this learner holds between steps (moments, and masters for 16-bit weights).
  int64_t state_bytes() const { return (keep_master_ ? 3 : 2) * chunk_ * 4; }

  // Collective (every learner calls it). The whole state, named as AdamW::state(); with keep false (learners
  // that do not write the checkpoint) nothing is kept, and only a bucket-sized buffer is used at a time.
  NamedTensors state(bool keep = true);
  // Not collective: restores this learner's shard of an AdamW-format state. Throws spct::InputError naming the
  // first missing, unexpected or mis-shaped entry; the optimizer is unchanged then. The parameters must already
  // hold the checkpoint's weights (float32 parameters are their own masters).
  void load_state(const NamedTensors& state);

 private:
  struct Slot {
    size_t param = 0;    // index into params_
    int64_t offset = 0;  // element offset in the bucket
  };
  struct Bucket {
    std::vector<Slot> slots;
    int64_t elements = 0;      // E_b
    int64_t piece = 0;         // P_b
    int64_t shard_offset = 0;  // where this learner's piece starts in the shard
    at::Tensor flat;           // float32 [S * P_b] while it fills and reduce-scatters (stage 2), else undefined
    size_t filled = 0;         // slots the hooks wrote in the armed backward
    std::unique_ptr<comm::Work> work;
  };
  // At most this many started buckets are pending when the owning thread starts another: it waits for the
  // oldest first, which bounds the buckets' memory while backward goes on.
  static constexpr size_t kInFlight = 2;

  // Calls fn(slot, offset in the parameter, offset in the range, count) for each part of a parameter in elements
  // [begin, begin + count) of `bucket`.
  template <class Fn>
  static void for_each_part(const std::vector<at::Tensor>& params, const Bucket& bucket, int64_t begin, int64_t count,
                            Fn fn);
  // This learner's piece of `bucket`, cut from one tensor per parameter (undefined ones count as zeros, left
  // as they are in `into`), into `into` (float32 [P_b]).
  void copy_piece(const std::vector<at::Tensor>& tensors, const Bucket& bucket, at::Tensor into) const;
  // Collective: every learner's `shard` (float32 or the parameters' dtype, [C]) all-gathered bucket by bucket
  // into `into` (one tensor per parameter; none: gathered and dropped).
  void gather_buckets(const at::Tensor& shard, const std::vector<at::Tensor>& into);

  // The post-accumulate-grad hook of the parameter in `slot` of bucket `bucket`.
  void on_gradient(size_t bucket, size_t slot);
  // Starts the buckets from next_start_ on whose gradients are complete (all of them when `all`, parameters
  // without a gradient as zeros), in order.
  void start_ready(bool all);
  // Forgets the started buckets that have completed; with `limit`, first waits for the oldest pending ones
  // until at most kInFlight are left. Owning thread only.
  void reap(bool limit);
  bool on_owner_thread() const { return std::this_thread::get_id() == owner_; }

  comm::Communicator& comm_;
  const std::vector<at::Tensor> params_;
  int64_t total_ = 0;  // N
  int64_t chunk_ = 0;  // C
  std::vector<Bucket> buckets_;
  at::ScalarType gather_type_ = at::kFloat;
  bool keep_master_ = false;  // some parameter is 16-bit; else the parameters are their own masters
  at::Tensor master_;         // float32 [C], when keep_master_
  at::Tensor exp_avg_;
  at::Tensor exp_avg_sq_;
  at::Tensor grad_;  // float32 [C]: this learner's shard of the averaged gradient, from arm/reduce_gradients to step

  std::vector<uint8_t> hooked_;   // per parameter: a post-accumulate-grad hook is installed
  std::vector<uint8_t> written_;  // per parameter: its hook wrote the bucket in this backward
  bool armed_ = false;
  std::thread::id owner_;   // the thread that called arm(): it may always start and wait for buckets
  size_t next_start_ = 0;   // the next bucket to start
  size_t next_finish_ = 0;  // the oldest started bucket that may still be pending
  size_t started_in_backward_ = 0;

  AdamWOptions options_;
  int stage_;
  int64_t step_ = 0;
};

}  // namespace spct::learner
