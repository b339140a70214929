// Weight sync: after each update, learner 0 sends the new weights to every rollout worker, and each worker
// swaps them in as one version.
//
// One publish of version v, over the weight-sync communicator (World::weight_sync(); rank 0 is the publisher):
//  1. The publisher broadcasts a 16-byte header: the version and the length of the manifest.
//  2. It broadcasts the manifest: each tensor's name, dtype, shape and byte offset in the version's byte stream
//     (offsets are 64-byte aligned).
//  3. Every receiver compares the manifest with the tensors it expects; all ranks then agree with one
//     all-reduce whether anyone objects. If so, every rank throws spct::comm::CommError (receivers name the
//     first tensor that differs) and no weights move.
//  4. The publisher packs the byte stream into buckets of `bucket_bytes` (distributed.weight_bucket_mb) and
//     broadcasts them one after another; receivers receive each directly into a staging copy of the weights.
//  5. Only when the last bucket has arrived does a receiver publish the staging copy as its current snapshot.
//     A snapshot is immutable once published: a rollout worker that takes current() before generating a group
//     keeps that version for the whole group, however many versions arrive meanwhile.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <mutex>

#include "core/comm/communicator.h"
#include "distributed/named_tensors.h"

namespace spct::distributed {

class WeightPublisher {
 public:
  // `comm`: the weight-sync communicator, with this rank as rank 0; must outlive this object.
  WeightPublisher(comm::Communicator& comm, size_t bucket_bytes);

  // Sends `tensors` as `version`. Collective with WeightReceiver::receive() on every other rank of `comm`.
  // REQUIRES: `version` is larger than the last published one; the tensors live on the communicator's device.
  void publish(uint64_t version, const NamedTensors& tensors);

 private:
  comm::Communicator& comm_;
  const size_t bucket_bytes_;
  at::Tensor bucket_;  // reused between publishes
};

// One complete version of the weights. Never modified while anyone but the receiver holds it.
struct WeightSnapshot {
  uint64_t version = 0;
  NamedTensors tensors;
  at::Tensor storage;  // the byte buffer `tensors` view (undefined for the initial snapshot)
};

class WeightReceiver {
 public:
  // `expected`: the names, shapes and dtypes this rank expects, in the publisher's order (typically the
  // rollout model's parameters); their values are the initial snapshot, version `initial_version`, and
  // staging copies are allocated on their device. `comm` must outlive this object.
  WeightReceiver(comm::Communicator& comm, const NamedTensors& expected, uint64_t initial_version, size_t bucket_bytes);

  // Receives one publish (steps 1-5), then makes it current() and returns its version. Collective with the
  // publisher's publish(). Throws spct::comm::CommError if the manifest does not match `expected` or the
  // version does not increase.
  uint64_t receive();

  // The latest complete version. Thread-safe: generation threads may call it while receive() runs.
  std::shared_ptr<const WeightSnapshot> current() const;

  // Copies current() into `targets` by position (e.g. a model's parameters), without autograd.
  // REQUIRES: `targets` matches `expected` of the constructor in shapes and dtypes.
  void copy_into(const NamedTensors& targets) const;

 private:
  // A staging copy: the retired snapshot if no one holds it any more, else a new byte buffer and views.
  std::shared_ptr<WeightSnapshot> take_staging();

  comm::Communicator& comm_;
  const size_t bucket_bytes_;
  const NamedTensors expected_;         // names, shapes, dtypes and device of the tensors
  const std::vector<int64_t> offsets_;  // byte offset of each tensor in the stream
  const int64_t stream_bytes_;
  const std::vector<uint8_t> manifest_;  // what the publisher's manifest must equal

  mutable std::mutex mutex_;  // guards current_; receive() is the only writer
  std::shared_ptr<WeightSnapshot> current_;
  std::shared_ptr<WeightSnapshot> retired_;  // the previous current_, reused once its readers let go
};

}  // namespace spct::distributed
