// One communicator for host and device memory, as c10d's ProcessGroup with a "cpu:gloo,cuda:nccl" backend
// pair: collectives on host memory go over MPI; collectives on CUDA device memory go over NCCL when the group
// has an NCCL communicator (every rank on a GPU of its own), else through pinned host memory over MPI (ranks
// that share a GPU, where NCCL cannot put two ranks). Point-to-point messages are host data and use MPI.
//
// So the learners' gradient all-reduce and the weight broadcast run on whatever device the tensors live on, and
// the same code keeps working for host-side metrics sums over the same group. Only built with SPCT_HAVE_NCCL.
//
// Thread safety: as Communicator (communicator.h).
#pragma once

#include <memory>

#include "core/comm/communicator.h"
#include "core/comm/mpi_communicator.h"
#include "core/comm/nccl_communicator.h"

namespace spct::comm {

// True when `data` is CUDA device memory (not host, pinned host or managed memory).
bool is_device_pointer(const void* data);

class HybridCommunicator : public Communicator {
 public:
  // `host` must outlive this object; `device` may be null (stage device buffers through host memory).
  HybridCommunicator(MpiCommunicator& host, std::unique_ptr<NcclCommunicator> device);
  ~HybridCommunicator() override;

  HybridCommunicator(const HybridCommunicator&) = delete;
  HybridCommunicator& operator=(const HybridCommunicator&) = delete;

  int rank() const override { return host_.rank(); }
  int size() const override { return host_.size(); }
  int world_rank_of(int rank) const override { return host_.world_rank_of(rank); }
  // Whether device buffers travel over NCCL (else they are staged through host memory).
  bool has_nccl() const { return device_ != nullptr; }

  void all_reduce(void* data, size_t count, DataType type, ReduceOp op) override;
  std::unique_ptr<Work> start_all_reduce(void* data, size_t count, DataType type, ReduceOp op,
                                         const CollectiveOptions& options = {}) override;
  bool starts_off_thread(const void* data) const override;
  void broadcast(void* data, size_t bytes, int root) override;
  void all_gather(const void* send, void* recv, size_t bytes_per_rank) override;
  void reduce_scatter(const void* send, void* recv, size_t count_per_rank, DataType type, ReduceOp op) override;
  std::unique_ptr<Work> start_reduce_scatter(const void* send, void* recv, size_t count_per_rank, DataType type,
                                             ReduceOp op, const CollectiveOptions& options = {}) override;
  void barrier() override;
  void send_bytes(int dest, int tag, std::span<const uint8_t> bytes) override;
  void flush() override;
  Received recv_bytes(int source, int tag) override;

 private:
  class StagedWork;

  // A pinned host buffer of at least `bytes` (reused between calls).
  void* staging(size_t bytes);

  MpiCommunicator& host_;
  std::unique_ptr<NcclCommunicator> device_;
  void* staging_ = nullptr;  // cudaMallocHost memory
  size_t staging_bytes_ = 0;
};

}  // namespace spct::comm
