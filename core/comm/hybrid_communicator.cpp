#include "core/comm/hybrid_communicator.h"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>

#include "core/comm/comm_error.h"
#include "core/comm/gpu_check.h"

namespace spct::comm {

bool is_device_pointer(const void* data) {
  cudaPointerAttributes attributes{};
  if (cudaPointerGetAttributes(&attributes, data) != cudaSuccess) {
    cudaGetLastError();  // older runtimes flag plain host pointers as an error; it is not one
    return false;
  }
  return attributes.type == cudaMemoryTypeDevice;
}

namespace {

// Copies between host and device after the work queued on the legacy default stream (where LibTorch writes the
// buffer), and waits for the copy: staged collectives read and write host memory right after.
void copy(void* to, const void* from, size_t bytes, cudaMemcpyKind kind) {
  SPCT_GPU_CHECK(cudaMemcpy(to, from, bytes, kind));
}

}  // namespace

// A staged collective: `in_bytes` of the device buffer `in` are copied to a pinned buffer of its own, an MPI
// collective started on it (`start`), and completion copies `out_bytes` from `out_offset` in the pinned buffer
// back to the device buffer `out`.
class HybridCommunicator::StagedWork : public Work {
 public:
  StagedWork(const void* in, size_t in_bytes, void* out, size_t out_offset, size_t out_bytes,
             const std::function<std::unique_ptr<Work>(uint8_t* pinned)>& start)
      : out_(out), out_offset_(out_offset), out_bytes_(out_bytes) {
    void* pinned = nullptr;
    SPCT_GPU_CHECK(cudaMallocHost(&pinned, std::max(in_bytes, out_offset + out_bytes)));
    pinned_ = static_cast<uint8_t*>(pinned);
    copy(pinned_, in, in_bytes, cudaMemcpyDeviceToHost);
    work_ = start(pinned_);
  }
  ~StagedWork() override {
    if (!copied_back_) wait();
    cudaFreeHost(pinned_);
  }
  bool poll() override {
    if (!copied_back_ && work_->poll()) finish();
    return copied_back_;
  }
  void wait() override {
    if (copied_back_) return;
    work_->wait();
    finish();
  }

 private:
  void finish() {
    copy(out_, pinned_ + out_offset_, out_bytes_, cudaMemcpyHostToDevice);
    copied_back_ = true;
  }

  void* const out_;
  const size_t out_offset_;
  const size_t out_bytes_;
  uint8_t* pinned_ = nullptr;
  std::unique_ptr<Work> work_;
  bool copied_back_ = false;
};

HybridCommunicator::HybridCommunicator(MpiCommunicator& host, std::unique_ptr<NcclCommunicator> device,
                                       bool ipc_broadcast)
    : host_(host), device_(std::move(device)), ipc_broadcast_(ipc_broadcast) {}

HybridCommunicator::~HybridCommunicator() {
  if (staging_ != nullptr) cudaFreeHost(staging_);
  // No collective here (the job may be ending on an error): each side lets go of its own. A receiver unmaps
  // before the root frees whenever both get here in order; a root that frees first leaves a receiver's
  // mapping to that receiver's own exit.
  for (const auto& [root, mapping] : imported_) cudaIpcCloseMemHandle(mapping.data);
  if (exported_ != nullptr) cudaFree(exported_);
}

void* HybridCommunicator::staging(size_t bytes) {
  if (bytes > staging_bytes_) {
    if (staging_ != nullptr) SPCT_GPU_CHECK(cudaFreeHost(staging_));
    staging_ = nullptr;
    SPCT_GPU_CHECK(cudaMallocHost(&staging_, bytes));
    staging_bytes_ = bytes;
  }
  return staging_;
}

void HybridCommunicator::all_reduce(void* data, size_t count, DataType type, ReduceOp op) {
  if (!is_device_pointer(data)) return host_.all_reduce(data, count, type, op);
  if (device_ != nullptr) return device_->all_reduce(data, count, type, op);
  const size_t bytes = count * size_of(type);
  void* host = staging(bytes);
  copy(host, data, bytes, cudaMemcpyDeviceToHost);
  host_.all_reduce(host, count, type, op);
  copy(data, host, bytes, cudaMemcpyHostToDevice);
}

std::unique_ptr<Work> HybridCommunicator::start_all_reduce(void* data, size_t count, DataType type, ReduceOp op,
                                                           const CollectiveOptions& options) {
  if (!is_device_pointer(data)) return host_.start_all_reduce(data, count, type, op, options);
  if (device_ != nullptr) return device_->start_all_reduce(data, count, type, op, options);
  const size_t bytes = count * size_of(type);
  return std::make_unique<StagedWork>(data, bytes, data, 0, bytes, [&](uint8_t* pinned) {
    return host_.start_all_reduce(pinned, count, type, op, options);
  });
}

std::unique_ptr<Work> HybridCommunicator::start_reduce_scatter(const void* send, void* recv, size_t count_per_rank,
                                                               DataType type, ReduceOp op,
                                                               const CollectiveOptions& options) {
  if (!is_device_pointer(send)) return host_.start_reduce_scatter(send, recv, count_per_rank, type, op, options);
  if (device_ != nullptr) return device_->start_reduce_scatter(send, recv, count_per_rank, type, op, options);
  const size_t mine = count_per_rank * size_of(type);
  const size_t total = mine * static_cast<size_t>(size());
  // MPI's send and receive buffers must not overlap: the result lands after the staged input.
  return std::make_unique<StagedWork>(send, total, recv, total, mine, [&](uint8_t* pinned) {
    return host_.start_reduce_scatter(pinned, pinned + total, count_per_rank, type, op, options);
  });
}

bool HybridCommunicator::starts_off_thread(const void* data) const {
  return device_ != nullptr && is_device_pointer(data);
}

namespace {

// What the root of an IPC broadcast sends over MPI.
struct IpcAnnouncement {
  std::array<char, 64> handle;  // cudaIpcMemHandle_t's bytes
  uint64_t generation;          // which exported buffer the handle names
  uint64_t bytes;
};
static_assert(sizeof(cudaIpcMemHandle_t) == 64);

// A device-to-device copy after the work queued on the legacy default stream (where LibTorch writes and reads
// the buffers), waited for: the peer reads or overwrites the source as soon as the barrier after it passes.
void copy_on_device(void* to, const void* from, size_t bytes) {
  SPCT_GPU_CHECK(cudaMemcpyAsync(to, from, bytes, cudaMemcpyDeviceToDevice, cudaStreamLegacy));
  SPCT_GPU_CHECK(cudaStreamSynchronize(cudaStreamLegacy));
}

}  // namespace

void HybridCommunicator::broadcast_by_ipc(void* data, size_t bytes, int root) {
  IpcAnnouncement announcement{};
  void* retired = nullptr;  // the root's previous buffer, freed once every receiver has let go of it
  if (rank() == root) {
    if (bytes > exported_bytes_) {
      retired = exported_;
      exported_ = nullptr;
      // Whole MiBs: the last bucket of a version is smaller than the others, the next version's first is not.
      const size_t rounded = (bytes + (size_t{1} << 20) - 1) & ~((size_t{1} << 20) - 1);
      SPCT_GPU_CHECK(cudaMalloc(&exported_, rounded));
      exported_bytes_ = rounded;
      cudaIpcMemHandle_t handle;
      SPCT_GPU_CHECK(cudaIpcGetMemHandle(&handle, exported_));
      std::memcpy(exported_handle_.data(), &handle, sizeof(handle));
      ++exported_generation_;
    }
    copy_on_device(exported_, data, bytes);
    announcement = {.handle = exported_handle_, .generation = exported_generation_, .bytes = bytes};
  }
  host_.broadcast(&announcement, sizeof(announcement), root);
  if (rank() != root) {
    if (announcement.bytes != bytes) {
      throw CommError("CUDA IPC broadcast: rank " + std::to_string(root) + " sends " +
                      std::to_string(announcement.bytes) + " bytes, rank " + std::to_string(rank()) + " expects " +
                      std::to_string(bytes));
    }
    Mapping& mapping = imported_[root];
    if (mapping.generation != announcement.generation) {
      if (mapping.data != nullptr) SPCT_GPU_CHECK(cudaIpcCloseMemHandle(mapping.data));
      mapping = {};
      cudaIpcMemHandle_t handle;
      std::memcpy(&handle, announcement.handle.data(), sizeof(handle));
      SPCT_GPU_CHECK(cudaIpcOpenMemHandle(&mapping.data, handle, cudaIpcMemLazyEnablePeerAccess));
      mapping.generation = announcement.generation;
    }
    copy_on_device(data, mapping.data, bytes);
  }
  host_.barrier();  // every receiver has copied (and unmapped a retired buffer): the root may reuse or free it
  if (retired != nullptr) SPCT_GPU_CHECK(cudaFree(retired));
  ++ipc_broadcasts_;
}

void HybridCommunicator::broadcast(void* data, size_t bytes, int root) {
  if (!is_device_pointer(data)) return host_.broadcast(data, bytes, root);
  if (device_ != nullptr) return device_->broadcast(data, bytes, root);
  if (ipc_broadcast_ && size() > 1) return broadcast_by_ipc(data, bytes, root);
  void* host = staging(bytes);
  if (rank() == root) copy(host, data, bytes, cudaMemcpyDeviceToHost);
  host_.broadcast(host, bytes, root);
  if (rank() != root) copy(data, host, bytes, cudaMemcpyHostToDevice);
}

void HybridCommunicator::all_gather(const void* send, void* recv, size_t bytes_per_rank) {
  if (!is_device_pointer(recv)) return host_.all_gather(send, recv, bytes_per_rank);
  if (device_ != nullptr) return device_->all_gather(send, recv, bytes_per_rank);
  const size_t total = bytes_per_rank * static_cast<size_t>(size());
  auto* host = static_cast<uint8_t*>(staging(total + bytes_per_rank));
  uint8_t* mine = host + total;  // MPI's send and receive buffers must not overlap
  copy(mine, send, bytes_per_rank, cudaMemcpyDeviceToHost);
  host_.all_gather(mine, host, bytes_per_rank);
  copy(recv, host, total, cudaMemcpyHostToDevice);
}

void HybridCommunicator::reduce_scatter(const void* send, void* recv, size_t count_per_rank, DataType type,
                                        ReduceOp op) {
  if (!is_device_pointer(send)) return host_.reduce_scatter(send, recv, count_per_rank, type, op);
  if (device_ != nullptr) return device_->reduce_scatter(send, recv, count_per_rank, type, op);
  const size_t mine = count_per_rank * size_of(type);
  const size_t total = mine * static_cast<size_t>(size());
  auto* host = static_cast<uint8_t*>(staging(total + mine));
  uint8_t* result = host + total;  // MPI's send and receive buffers must not overlap
  copy(host, send, total, cudaMemcpyDeviceToHost);
  host_.reduce_scatter(host, result, count_per_rank, type, op);
  copy(recv, result, mine, cudaMemcpyHostToDevice);
}

void HybridCommunicator::barrier() {
  if (device_ != nullptr) return device_->barrier();
  host_.barrier();
}

void HybridCommunicator::send_bytes(int dest, int tag, std::span<const uint8_t> bytes) {
  host_.send_bytes(dest, tag, bytes);
}

void HybridCommunicator::flush() {
  host_.flush();
}

Received HybridCommunicator::recv_bytes(int source, int tag) {
  return host_.recv_bytes(source, tag);
}

}  // namespace spct::comm
