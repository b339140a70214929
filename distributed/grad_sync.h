// Data-parallel gradient averaging for the learners: after each backward pass, every learner calls sync() and
// ends with the mean of all learners' gradients, so identical parameters plus identical updates keep every
// learner's copy of the model identical.
//
// Gradients are copied into flat buckets of about `bucket_bytes` (distributed.bucket_mb), one all-reduce
// (ReduceOp::kAvg) per bucket, and copied back. Buckets fill in reverse parameter order, the order backward
// produces gradients in, and hold one dtype each. A parameter bigger than a bucket gets a bucket of its own.
// Buckets are allocated once, at construction, on the parameters' device.
//
// Precision: a bucket is float32 (float64 for float64 parameters) whatever the parameters' dtype, so bfloat16
// and float16 gradients are summed across learners in float32 and rounded to the parameter's dtype once, after
// the average. MPI has no bfloat16 type, and a sum of many learners' bf16 gradients in bf16 would lose the low
// bits that a small learning rate needs (the optimizer's float32 masters exist for the same reason). The cost is
// twice the bytes of a bf16 all-reduce.
//
// Overlap with backward (c10d's DDP reducer): arm() before the backward pass that completes the gradients (the
// last micro-batch of an accumulation) and each parameter's autograd hook writes its accumulated gradient into
// its bucket; a bucket whose gradients are all in starts its all-reduce at once (Communicator::start_all_reduce,
// on NCCL's own stream on a GPU), while backward goes on with earlier layers. Buckets start strictly in bucket
// order, so every rank starts the same collectives in the same order even when a parameter gets no gradient on
// one rank. sync() then starts what did not start (unused parameters count as zeros) and waits for every
// bucket. Without arm(), sync() does all of it after backward, bucket after bucket, with the same result.
// The hooks use Tensor::register_hook, which runs before autograd adds the new gradient to .grad(), so the hook
// writes .grad() + new into the bucket itself: the same value a post-accumulate-grad hook would see.
//
// Thread safety: belongs to the thread that owns the communicator. On a GPU, autograd runs hooks on its device
// thread; buckets start there only when the communicator allows it (starts_off_thread: NCCL), else they wait
// for sync() on the owning thread.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstddef>
#include <limits>
#include <memory>
#include <thread>
#include <vector>

#include "core/comm/communicator.h"
#include "distributed/named_tensors.h"

namespace spct::distributed {

class GradSync {
 public:
  // `comm`: the learners' communicator (World::learners()); it must outlive this object. `params`: the
  // parameters whose gradients are averaged, in the same order on every rank (checked: a collective that
  // throws spct::comm::CommError on every rank when the lists differ). Parameters are held by reference
  // (at::Tensor handles): sync() reads and writes their .grad().
  // REQUIRES: every parameter is float32, float64, bfloat16 or float16, and all are on one device.
  GradSync(comm::Communicator& comm, NamedTensors params, size_t bucket_bytes);
  // Removes the hooks from the parameters.
  ~GradSync();

  GradSync(const GradSync&) = delete;
  GradSync& operator=(const GradSync&) = delete;

  // The next backward pass completes the gradients: its hooks start buckets as they fill. Call it before that
  // backward() and follow it with sync(). Gradient accumulation calls it before the last micro-batch only.
  void arm();

  // Replaces each parameter's gradient with the average over all ranks. A parameter without a gradient on a
  // rank counts as zeros there and gets the average, so every rank ends with the same gradients. Collective.
  // Afterwards each float32/float64 .grad() is a view into this object's buckets: zeroing gradients in place
  // (grad.zero_(), not resetting them to undefined) lets the next backward accumulate straight into the buckets,
  // which saves the copy in and out. Gradients that were replaced meanwhile are copied, so either way is
  // correct. A bf16/fp16 gradient is the float32 average rounded to its dtype (a copy, not a view).
  void sync();

  size_t bucket_count() const { return buckets_.size(); }
  // Buckets the last sync() found already started by the hooks (for tests and metrics: 0 without arm()).
  size_t started_in_backward() const { return started_in_backward_; }
  // Bytes all-reduced per sync().
  size_t total_bytes() const { return total_bytes_; }

 private:
  struct Slot {
    size_t param = 0;      // index into params_
    int64_t offset = 0;    // element offset in the bucket
    bool widened = false;  // the parameter is bf16/fp16 in a float32 bucket: copied in and out, never a view
  };
  struct Bucket {
    at::Tensor flat;
    comm::DataType type;  // float32 or float64: what goes on the wire
    std::vector<Slot> slots;
    size_t filled = 0;  // slots the hooks wrote in the armed backward
    std::unique_ptr<comm::Work> work;
  };

  // The autograd hook of parameter `param` (in bucket `bucket`, slot `slot`), with the gradient backward is
  // about to add to its .grad().
  void on_gradient(size_t bucket, size_t slot, const at::Tensor& incoming);
  // Starts the buckets from next_start_ on that are complete (all of them when `all`), in order.
  void start_ready(bool all);
  void start(Bucket& bucket);

  comm::Communicator& comm_;
  const NamedTensors params_;
  std::vector<Bucket> buckets_;
  size_t total_bytes_ = 0;
  static constexpr unsigned kNoHook = std::numeric_limits<unsigned>::max();
  std::vector<unsigned> hooks_;  // hook handle of each parameter, by parameter index (kNoHook: none)
  bool armed_ = false;
  std::thread::id owner_;         // the thread that called arm(): it may always start buckets
  size_t next_start_ = 0;         // the next bucket to start
  std::vector<uint8_t> written_;  // per parameter: its hook wrote the bucket slot in this backward
  size_t started_in_backward_ = 0;
};

}  // namespace spct::distributed
