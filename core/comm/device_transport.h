// How device memory travels between ranks, chosen from where their GPUs are (c10d picks one backend per group;
// spct picks by placement, since NCCL cannot put two ranks of one communicator on one GPU):
//   - a rank that computes on the CPU: host memory over MPI;
//   - two ranks on different GPUs (another PCI bus id, or another node): NCCL;
//   - two ranks on the same GPU (same node, same PCI bus id): CUDA IPC, the sender's device buffer mapped into the
//     receiver's process and copied device to device, with the handle and the handshake over MPI.
// A group takes the transport all its pairs agree on; a group that mixes shared and distinct GPUs stages device
// buffers through pinned host memory over MPI (hybrid_communicator.h).
//
// Tensor-free: decided from the RankLayout alone, so every member of a group computes the same answer.
#pragma once

#include <string_view>
#include <vector>

#include "core/comm/layout.h"

namespace spct::comm {

enum class DeviceTransport {
  kMpi,          // some rank computes on the CPU
  kNccl,         // every rank has a GPU of its own
  kCudaIpc,      // every rank is on one and the same GPU
  kHostStaging,  // GPU ranks, some sharing a GPU and some not: pinned host memory over MPI
};

// "mpi", "nccl", "cuda ipc", "host staging".
std::string_view transport_name(DeviceTransport transport);

// How device memory goes from `a` to `b` (kMpi, kNccl or kCudaIpc).
DeviceTransport pair_transport(const RankPlacement& a, const RankPlacement& b);

// The transport of the group of world ranks `members` of `layout`: kMpi when any member is on the CPU, else
// kNccl or kCudaIpc when every pair agrees on it, else kHostStaging. A group of one GPU rank is kNccl (it moves
// nothing; NCCL's collectives on one rank are copies).
DeviceTransport group_transport(const RankLayout& layout, const std::vector<int>& members);

}  // namespace spct::comm
