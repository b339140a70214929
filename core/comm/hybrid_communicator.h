// One communicator for host and device memory, as c10d's ProcessGroup with a "cpu:gloo,cuda:nccl" backend
// pair: collectives on host memory go over MPI; collectives on CUDA device memory go over NCCL when the group
// has an NCCL communicator (every rank on a GPU of its own), else through pinned host memory over MPI (ranks
// that share a GPU, where NCCL cannot put two ranks). Point-to-point messages are host data and use MPI.
//
// Broadcast between ranks that all share one GPU (device_transport.h: kCudaIpc), as the weight sync of a job
// whose ranks share one GPU: the root copies the buffer into a device buffer of its own that it exported once
// (cudaIpcGetMemHandle), and broadcasts the handle over MPI; each receiver maps it (cudaIpcOpenMemHandle, once
// per exported buffer) and copies device to device into its own buffer; a barrier over MPI then tells the root
// that everyone has read, before it may overwrite the buffer. No byte leaves the GPU. The MPI waits carry the
// phase deadline and stall report; the device copies are local and synchronous. When the root needs a larger
// buffer it exports a new one (a new generation): receivers unmap the old one when they see the new handle, and
// the root frees the old one only after that broadcast's barrier. Mappings close and the buffer is freed on
// destruction.
//
// So the learners' gradient all-reduce and the weight broadcast run on whatever device the tensors live on, and
// the same code keeps working for host-side metrics sums over the same group. Only built with SPCT_HAVE_NCCL.
//
// Thread safety: as Communicator (communicator.h).
#pragma once

#include <array>
#include <cstdint>
#include <map>
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
  // `ipc_broadcast`: broadcast device buffers by CUDA IPC (every rank on the same GPU; `device` null).
  HybridCommunicator(MpiCommunicator& host, std::unique_ptr<NcclCommunicator> device, bool ipc_broadcast = false);
  ~HybridCommunicator() override;

  HybridCommunicator(const HybridCommunicator&) = delete;
  HybridCommunicator& operator=(const HybridCommunicator&) = delete;

  int rank() const override { return host_.rank(); }
  int size() const override { return host_.size(); }
  int world_rank_of(int rank) const override { return host_.world_rank_of(rank); }
  // Whether device buffers travel over NCCL (else they are staged through host memory).
  bool has_nccl() const { return device_ != nullptr; }
  // Whether broadcasts of device buffers go by CUDA IPC, and how many have (tests check the path was taken).
  bool ipc_broadcast() const { return ipc_broadcast_; }
  int64_t ipc_broadcasts() const { return ipc_broadcasts_; }

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
  // The CUDA IPC broadcast (see the top of this file).
  void broadcast_by_ipc(void* data, size_t bytes, int root);

  MpiCommunicator& host_;
  std::unique_ptr<NcclCommunicator> device_;
  void* staging_ = nullptr;  // cudaMallocHost memory
  size_t staging_bytes_ = 0;

  const bool ipc_broadcast_;
  int64_t ipc_broadcasts_ = 0;
  // As the root: the exported device buffer (cudaMalloc, not LibTorch's caching allocator, so the handle names
  // exactly this allocation), its size, handle and generation.
  void* exported_ = nullptr;
  size_t exported_bytes_ = 0;
  std::array<char, 64> exported_handle_{};
  uint64_t exported_generation_ = 0;
  // As a receiver: the mapping of each root's exported buffer, by root rank.
  struct Mapping {
    uint64_t generation = 0;
    void* data = nullptr;
  };
  std::map<int, Mapping> imported_;
};

}  // namespace spct::comm
