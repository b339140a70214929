// Data-parallel gradient averaging for the learners: after each backward pass, every learner calls sync() and
// ends with the mean of all learners' gradients, so identical parameters plus identical updates keep every
// learner's copy of the model identical.
//
// Gradients are copied into flat buckets of about `bucket_bytes` (distributed.bucket_mb), one all-reduce
// (ReduceOp::kAvg) per bucket, and copied back. Buckets fill in reverse parameter order, the order backward
// produces gradients in, and hold one dtype each. A parameter bigger than a bucket gets a bucket of its own.
// Buckets are allocated once, at construction, on the parameters' device.
//
// Thread safety: belongs to the thread that owns the communicator.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstddef>
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
  // REQUIRES: every parameter is float32 or float64 and all are on one device.
  GradSync(comm::Communicator& comm, NamedTensors params, size_t bucket_bytes);

  // Replaces each parameter's gradient with the average over all ranks. A parameter without a gradient on a
  // rank counts as zeros there and gets the average, so every rank ends with the same gradients. Collective.
  // Afterwards each .grad() is a view into this object's buckets: zeroing gradients in place (grad.zero_(),
  // not resetting them to undefined) lets the next backward accumulate straight into the buckets, which saves
  // the copy in and out. Gradients that were replaced meanwhile are copied, so either way is correct.
  void sync();

  size_t bucket_count() const { return buckets_.size(); }
  // Bytes all-reduced per sync().
  size_t total_bytes() const { return total_bytes_; }

 private:
  struct Slot {
    size_t param = 0;    // index into params_
    int64_t offset = 0;  // element offset in the bucket
  };
  struct Bucket {
    at::Tensor flat;
    comm::DataType type;
    std::vector<Slot> slots;
  };

  comm::Communicator& comm_;
  const NamedTensors params_;
  std::vector<Bucket> buckets_;
  size_t total_bytes_ = 0;
};

}  // namespace spct::distributed
