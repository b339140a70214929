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
//
// What travels is the tensors as the caller holds them, in their own dtype: a bfloat16 policy sends 2 bytes a
// weight, half of float32. The learners' optimizer keeps float32 masters of 16-bit weights
// (learner/optimizer.h) and rounds them into the policy's bf16 compute weights after each update; those compute
// weights are what the rollout workers generate with, so they receive exactly those bytes and nothing else.
//
// Overlapped receive (double buffering): a receiver may start() the next version's receive before it begins
// other work (a rollout worker: generating the next groups with the current weights), let it progress() while
// it works, and finish() it at its step boundary. The bytes land in a staging copy, the second buffer; the
// current snapshot (and the model the worker generates with) changes only in finish(), so which version
// generated what is the same as with a receive() at the boundary. Deadlines: only the wait in finish() is
// bounded, by the phase the caller is in then (core/comm/background_work.h). Overlap needs an MPI
// communicator; on another one (NCCL) start() and progress() do nothing and finish() receives in full.
#pragma once

#include <ATen/core/Tensor.h>

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/comm/communicator.h"
#include "core/comm/mpi_communicator.h"
#include "distributed/named_tensors.h"

namespace spct::distributed {

class WeightPublisher {
 public:
  // `comm`: the weight-sync communicator, with this rank as rank 0; must outlive this object.
  WeightPublisher(comm::Communicator& comm, size_t bucket_bytes);

  // Sends `tensors` as `version`. Collective with WeightReceiver::receive() on every other rank of `comm`.
  // REQUIRES: `version` is larger than the last published one; the tensors live on the communicator's device.
  void publish(uint64_t version, const NamedTensors& tensors);

  // Bytes of weights the last publish() broadcast (its byte stream, with the 64-byte alignment of each tensor).
  int64_t bytes_sent() const { return bytes_sent_; }

 private:
  comm::Communicator& comm_;
  const size_t bucket_bytes_;
  at::Tensor bucket_;  // reused between publishes
  int64_t bytes_sent_ = 0;
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
  // Waits for a receive in progress, except while an exception unwinds it (see Incoming).
  ~WeightReceiver();

  WeightReceiver(const WeightReceiver&) = delete;
  WeightReceiver& operator=(const WeightReceiver&) = delete;

  // Receives one publish (steps 1-5), then makes it current() and returns its version. Collective with the
  // publisher's publish(). Throws spct::comm::CommError if the manifest does not match `expected` or the
  // version does not increase. The same as start() then finish().
  uint64_t receive();

  // The overlapped receive (see the top of this file). start() posts the receive of the next publish and
  // returns at once. REQUIRES: no receive in progress.
  void start();
  // Moves a started receive on without blocking; true once the whole version has arrived (it is still not
  // current()). Throws as receive() does, as soon as the manifest check fails. REQUIRES: started.
  bool progress();
  // Waits for the rest of a started receive (against the current phase's deadline), makes it current() and
  // returns its version. Throws as receive() does. REQUIRES: started.
  uint64_t finish();
  // Whether a receive was started and not finished.
  bool receiving() const { return incoming_ != nullptr; }
  // Whether progress() moves a receive on (an MPI communicator); else only finish() does.
  bool overlaps() const { return mpi_ != nullptr; }

  // The latest complete version. Thread-safe: generation threads may call it while receive() runs.
  std::shared_ptr<const WeightSnapshot> current() const;

  // Copies current() into `targets` by position (e.g. a model's parameters), without autograd.
  // REQUIRES: `targets` matches `expected` of the constructor in shapes and dtypes.
  void copy_into(const NamedTensors& targets) const;

 private:
  // A staging copy: the retired snapshot if no one holds it any more, else a new byte buffer and views.
  std::shared_ptr<WeightSnapshot> take_staging();
  // Moves the receive through its stages; `block` waits for each, else it stops at the first unfinished one.
  // True once every bucket has arrived.
  bool advance(bool block);
  // Starts broadcasting `bytes` at `data` from the publisher: in the background on MPI, else at once.
  std::unique_ptr<comm::Work> launch(void* data, size_t bytes);
  // What is wrong with the manifest received, or "" when it matches and the version increases.
  std::string check_manifest() const;

  // The stages of one receive, in the order of the publisher's steps 1-4.
  enum class Stage { kHeader, kManifest, kVerdict, kBuckets, kComplete };

  comm::Communicator& comm_;
  comm::MpiCommunicator* const mpi_;  // comm_ when it is MPI (overlap possible), else null
  const size_t bucket_bytes_;
  const NamedTensors expected_;         // names, shapes, dtypes and device of the tensors
  const std::vector<int64_t> offsets_;  // byte offset of each tensor in the stream
  const int64_t stream_bytes_;
  const std::vector<uint8_t> manifest_;  // what the publisher's manifest must equal

  mutable std::mutex mutex_;  // guards current_; finish() is the only writer
  std::shared_ptr<WeightSnapshot> current_;
  std::shared_ptr<WeightSnapshot> retired_;  // the previous current_, reused once its readers let go

  // The receive in progress, on the heap: if an exception unwinds this receiver mid-receive (the rank is about
  // to end the job), MPI may still write these buffers, so the destructor leaves them to the process's exit
  // instead of waiting for a publisher that may never come.
  struct Incoming {
    Stage stage = Stage::kHeader;
    std::array<uint64_t, 2> header{};                // version, manifest bytes
    std::vector<uint8_t> manifest;                   // the publisher's manifest
    int32_t objection = 0;                           // all-reduced: does any receiver object?
    std::string problem;                             // this receiver's objection
    std::shared_ptr<WeightSnapshot> staging;         // the second buffer the buckets arrive in
    std::vector<std::unique_ptr<comm::Work>> works;  // the current stage's collectives (null: done)
  };
  std::unique_ptr<Incoming> incoming_;  // null when no receive is in progress
};

}  // namespace spct::distributed
