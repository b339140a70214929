// Communicator over an MPI communicator, on host memory. Every operation is non-blocking MPI
// (MPI_Iallreduce, MPI_Ibcast, MPI_Iallgather, MPI_Ibarrier, MPI_Isend, MPI_Improbe) completed by polling
// through the StallDetector, so a missing peer ends in a stall report instead of a hang.
//
// Thread safety: not thread-safe; belongs to the thread that owns MPI.
#pragma once

#include <mpi.h>

#include <list>
#include <string>
#include <vector>

#include "core/comm/communicator.h"
#include "core/comm/stall_detector.h"

namespace spct::comm {

class MpiCommunicator : public Communicator {
 public:
  // Wraps `comm`, which the caller keeps alive and frees (World does); `stall` must outlive this object.
  // `name` says which communicator a report is about ("learners", "world").
  MpiCommunicator(MPI_Comm comm, StallDetector& stall, std::string name);

  // Flushes queued sends.
  ~MpiCommunicator() override;

  MpiCommunicator(const MpiCommunicator&) = delete;
  MpiCommunicator& operator=(const MpiCommunicator&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int world_rank_of(int rank) const override { return world_ranks_.at(static_cast<size_t>(rank)); }
  const std::string& name() const { return name_; }
  MPI_Comm handle() const { return comm_; }
  StallDetector& stall() { return stall_; }

  void all_reduce(void* data, size_t count, DataType type, ReduceOp op) override;
  // MPI_Iallreduce; the handle's poll() is MPI_Test, its wait() polls through the stall detector against the
  // deadline set here (options.timeout_s, else the phase's).
  std::unique_ptr<Work> start_all_reduce(void* data, size_t count, DataType type, ReduceOp op,
                                         const CollectiveOptions& options = {}) override;
  void broadcast(void* data, size_t bytes, int root) override;
  void all_gather(const void* send, void* recv, size_t bytes_per_rank) override;
  void reduce_scatter(const void* send, void* recv, size_t count_per_rank, DataType type, ReduceOp op) override;
  // MPI_Ireduce_scatter_block; the handle as start_all_reduce()'s.
  std::unique_ptr<Work> start_reduce_scatter(const void* send, void* recv, size_t count_per_rank, DataType type,
                                             ReduceOp op, const CollectiveOptions& options = {}) override;
  void barrier() override;
  void send_bytes(int dest, int tag, std::span<const uint8_t> bytes) override;
  void flush() override;
  Received recv_bytes(int source, int tag) override;
  // "rank 2 (reward worker)", from the job's layout.
  std::string describe_peer(int rank) const override;
  // Whether a message from `source` (a rank, or kAnySource) with `tag` (or kAnyTag) has arrived, without waiting: a
  // worker takes the requests already queued for it and handles them together.
  bool has_message(int source, int tag);

 private:
  class RequestWork;

  // Waits for `request` through the stall detector; `expected` are the communicator ranks the wait needs.
  // `deadline`: the one set when the operation started, if it started earlier.
  void wait(MPI_Request& request, const std::vector<int>& expected, const std::string& what,
            const std::optional<Deadline>& deadline = std::nullopt);
  std::vector<int> all_ranks() const;
  // Forgets queued sends that have completed.
  void reap_sends();

  // A queued send: MPI reads `bytes` until `request` completes, so the list keeps it in place until then.
  struct PendingSend {
    std::vector<uint8_t> bytes;
    int dest = 0;
    int tag = 0;
    MPI_Request request = MPI_REQUEST_NULL;
  };

  const MPI_Comm comm_;
  StallDetector& stall_;
  const std::string name_;
  int rank_ = 0;
  int size_ = 0;
  std::vector<int> world_ranks_;  // world rank of each rank of comm_
  std::list<PendingSend> pending_sends_;
};

}  // namespace spct::comm
