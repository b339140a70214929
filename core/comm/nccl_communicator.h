// Communicator over NCCL, on CUDA device memory: the learners' gradient all-reduce and the weight broadcast on
// GPUs. Only built with SPCT_HAVE_NCCL (cmake/SpctNccl.cmake).
//
// Bootstrap (the nccl-tests recipe, made deadline-safe):
//  1. Rank 0 of the MPI communicator creates an ncclUniqueId and broadcasts it over MPI.
//  2. Every rank selects its device and calls ncclCommInitRankConfig with a non-blocking config.
//  3. Every rank polls ncclCommGetAsyncError until the communicator is ready, within the phase's deadline.
// Every collective is enqueued on this communicator's own stream, after the work already queued on the
// producer's stream (CollectiveOptions::producer_stream; the legacy default stream for the blocking calls), and
// then polled, both for completion (a CUDA event) and for asynchronous NCCL errors (ncclCommGetAsyncError),
// against the phase's deadline (or the one the started collective set).
// An error throws spct::comm::CommError; a deadline that passes aborts the NCCL communicator (ncclCommAbort, so
// no kernel spins forever) and then runs the stall detector, which names the missing ranks and ends the job.
//
// Point-to-point protocol messages are host data: they travel over the bootstrap MPI communicator.
// Thread safety: belongs to the thread that owns MPI.
#pragma once

#include <cuda_runtime_api.h>
#include <nccl.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/comm/communicator.h"
#include "core/comm/mpi_communicator.h"

namespace spct::comm {

class NcclCommunicator : public Communicator {
 public:
  // Collective over `bootstrap`, which must outlive this object. `device`: the CUDA device of this rank
  // (RankPlacement::device). Throws CommError if CUDA or NCCL fail.
  NcclCommunicator(MpiCommunicator& bootstrap, int device);
  // Waits for outstanding work, then destroys the NCCL communicator (or aborts it if it failed).
  ~NcclCommunicator() override;

  NcclCommunicator(const NcclCommunicator&) = delete;
  NcclCommunicator& operator=(const NcclCommunicator&) = delete;

  int rank() const override { return bootstrap_.rank(); }
  int size() const override { return bootstrap_.size(); }
  int world_rank_of(int rank) const override { return bootstrap_.world_rank_of(rank); }
  int device() const { return device_; }
  // The stream collectives run on; callers that produce the buffers on another stream synchronise first.
  cudaStream_t stream() const { return stream_; }

  // `data`, `send` and `recv` are device pointers on device().
  void all_reduce(void* data, size_t count, DataType type, ReduceOp op) override;
  // Enqueues the all-reduce and returns; the handle's wait() polls its completion event. May be called from
  // another thread (an autograd device thread) while the owning thread does not use this communicator: it never
  // touches MPI, and if NCCL does not accept the call within the deadline the handle's wait() ends the job.
  std::unique_ptr<Work> start_all_reduce(void* data, size_t count, DataType type, ReduceOp op,
                                         const CollectiveOptions& options = {}) override;
  bool starts_off_thread(const void* /*data*/) const override { return true; }
  void broadcast(void* data, size_t bytes, int root) override;
  void all_gather(const void* send, void* recv, size_t bytes_per_rank) override;
  void reduce_scatter(const void* send, void* recv, size_t count_per_rank, DataType type, ReduceOp op) override;
  // ncclReduceScatter, enqueued and returned as start_all_reduce() does (and callable from the same threads).
  std::unique_ptr<Work> start_reduce_scatter(const void* send, void* recv, size_t count_per_rank, DataType type,
                                             ReduceOp op, const CollectiveOptions& options = {}) override;
  void barrier() override;

  // Host memory, over the bootstrap communicator.
  void send_bytes(int dest, int tag, std::span<const uint8_t> bytes) override;
  void flush() override;
  Received recv_bytes(int source, int tag) override;

 private:
  class EnqueuedWork;

  // Makes this communicator's stream wait for the work queued so far on `producer` (a cudaStream_t; null = the
  // legacy default stream).
  void follow(void* producer);
  // Spins, without MPI, until NCCL has accepted the last call or `deadline` passes (returns false then).
  bool accepted_by(const Deadline& deadline);
  // True once NCCL has finished the last call it accepted; throws CommError on an asynchronous NCCL error.
  bool poll_nccl();
  // Polls `done` through the stall detector; aborts the NCCL communicator if the deadline passes.
  void wait(const std::function<bool()>& done, const std::string& what,
            const std::optional<Deadline>& deadline = std::nullopt);
  // Waits until NCCL has accepted the last call (non-blocking communicators answer ncclInProgress first).
  void wait_accepted(const std::string& what);
  // Waits until the stream has run everything enqueued, polling NCCL for asynchronous errors.
  void wait_done(const std::string& what);

  MpiCommunicator& bootstrap_;
  const int device_;
  std::vector<int> all_world_ranks_;  // who a collective waits for, as world ranks
  ncclComm_t comm_ = nullptr;
  cudaStream_t stream_ = nullptr;
  cudaEvent_t produced_ = nullptr;  // recorded on the producer's stream by follow()
  bool failed_ = false;             // an error or a deadline hit: destroy by abort
};

}  // namespace spct::comm
