#include "core/comm/nccl_communicator.h"

#include <fmt/format.h>

#include <memory>
#include <string>
#include <utility>

#include "core/comm/comm_error.h"
#include "core/comm/gpu_check.h"

namespace spct::comm {

namespace {

ncclDataType_t nccl_type(DataType type) {
  switch (type) {
    case DataType::kUInt8: return ncclUint8;
    case DataType::kInt32: return ncclInt32;
    case DataType::kInt64: return ncclInt64;
    case DataType::kFloat32: return ncclFloat32;
    case DataType::kFloat64: return ncclFloat64;
  }
  throw CommError("unknown DataType");
}

ncclRedOp_t nccl_op(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum: return ncclSum;
    case ReduceOp::kAvg: return ncclAvg;
    case ReduceOp::kMax: return ncclMax;
    case ReduceOp::kMin: return ncclMin;
  }
  throw CommError("unknown ReduceOp");
}

}  // namespace

NcclCommunicator::NcclCommunicator(MpiCommunicator& bootstrap, int device) : bootstrap_(bootstrap), device_(device) {
  for (int r = 0; r < bootstrap_.size(); ++r) all_world_ranks_.push_back(bootstrap_.world_rank_of(r));
  SPCT_GPU_CHECK(cudaSetDevice(device_));
  SPCT_GPU_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  SPCT_GPU_CHECK(cudaEventCreateWithFlags(&produced_, cudaEventDisableTiming));
  ncclUniqueId id;
  if (bootstrap_.rank() == 0) SPCT_GPU_CHECK(ncclGetUniqueId(&id));
  bootstrap_.broadcast(&id, sizeof id, 0);
  ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
  config.blocking = 0;  // every NCCL call returns at once; wait_accepted() polls with a deadline
  SPCT_GPU_CHECK(ncclCommInitRankConfig(&comm_, bootstrap_.size(), id, bootstrap_.rank(), &config));
  wait_accepted(fmt::format("NCCL communicator setup on device {}", device_));
}

NcclCommunicator::~NcclCommunicator() {
  // Teardown errors have nowhere to go; a communicator that failed is aborted rather than drained.
  if (comm_ != nullptr) {
    if (failed_) {
      ncclCommAbort(comm_);
    } else {
      cudaStreamSynchronize(stream_);
      ncclCommDestroy(comm_);
    }
  }
  if (produced_ != nullptr) cudaEventDestroy(produced_);
  if (stream_ != nullptr) cudaStreamDestroy(stream_);
}

void NcclCommunicator::follow(void* producer) {
  SPCT_GPU_CHECK(cudaEventRecord(produced_, static_cast<cudaStream_t>(producer)));
  SPCT_GPU_CHECK(cudaStreamWaitEvent(stream_, produced_, 0));
}

bool NcclCommunicator::accepted_by(const Deadline& deadline) {
  return wait_until(deadline, [this] { return comm_ != nullptr && poll_nccl(); });
}

bool NcclCommunicator::poll_nccl() {
  ncclResult_t state = ncclSuccess;
  SPCT_GPU_CHECK(ncclCommGetAsyncError(comm_, &state));
  if (state != ncclSuccess && state != ncclInProgress) {
    failed_ = true;
    SPCT_GPU_CHECK(state);  // throws with NCCL's message
  }
  return state == ncclSuccess;
}

void NcclCommunicator::wait(const std::function<bool()>& done, const std::string& what,
                            const std::optional<Deadline>& deadline) {
  // On a deadline, kill this rank's NCCL kernels before the job ends: a kernel waiting on a dead peer would
  // otherwise keep the GPU busy after the process is gone.
  const auto abort_nccl = [this] {
    ncclCommAbort(comm_);
    comm_ = nullptr;
  };
  bootstrap_.stall().wait(done, all_world_ranks_, fmt::format("{} on NCCL (device {})", what, device_), abort_nccl,
                          deadline);
}

void NcclCommunicator::wait_accepted(const std::string& what) {
  wait([this] { return poll_nccl(); }, what);
}

void NcclCommunicator::wait_done(const std::string& what) {
  wait([this] { return poll_nccl() && SPCT_GPU_CHECK(cudaStreamQuery(stream_)) == cudaSuccess; }, what);
}

// A collective enqueued on the communicator's stream (by `enqueue`, after the producer's work) and a CUDA event
// after it, polled for completion.
class NcclCommunicator::EnqueuedWork : public Work {
 public:
  EnqueuedWork(NcclCommunicator& comm, std::string what, const CollectiveOptions& options,
               const std::function<void()>& enqueue)
      : comm_(comm),
        what_(std::move(what)),
        deadline_(Deadline::after(options.timeout_s > 0 ? options.timeout_s
                                                        : comm.bootstrap_.stall().state().phase_timeout_s())) {
    SPCT_GPU_CHECK(cudaSetDevice(comm_.device_));
    SPCT_GPU_CHECK(cudaEventCreateWithFlags(&done_event_, cudaEventDisableTiming));
    // The previous call must be accepted before the next one (non-blocking communicator). If it is not, this
    // collective is never enqueued and wait() reports the stall.
    if (comm_.failed_ || !comm_.accepted_by(deadline_)) return;
    comm_.follow(options.producer_stream);
    enqueue();
    SPCT_GPU_CHECK(cudaEventRecord(done_event_, comm_.stream_));
    enqueued_ = true;
  }

  ~EnqueuedWork() override {
    if (!complete_) wait();
    cudaEventDestroy(done_event_);
  }

  bool poll() override {
    if (!complete_ && enqueued_ && comm_.comm_ != nullptr) {
      complete_ = comm_.poll_nccl() && SPCT_GPU_CHECK(cudaEventQuery(done_event_)) == cudaSuccess;
    }
    return complete_;
  }

  void wait() override {
    if (complete_) return;
    comm_.wait([this] { return poll(); }, what_, deadline_);
  }

 private:
  NcclCommunicator& comm_;
  const std::string what_;
  const Deadline deadline_;
  cudaEvent_t done_event_ = nullptr;
  bool enqueued_ = false;
  bool complete_ = false;
};

std::unique_ptr<Work> NcclCommunicator::start_all_reduce(void* data, size_t count, DataType type, ReduceOp op,
                                                         const CollectiveOptions& options) {
  return std::make_unique<EnqueuedWork>(
      *this, fmt::format("all_reduce ({}) of {} {}", to_string(op), count, to_string(type)), options,
      [&] { SPCT_GPU_CHECK(ncclAllReduce(data, data, count, nccl_type(type), nccl_op(op), comm_, stream_)); });
}

std::unique_ptr<Work> NcclCommunicator::start_reduce_scatter(const void* send, void* recv, size_t count_per_rank,
                                                             DataType type, ReduceOp op,
                                                             const CollectiveOptions& options) {
  return std::make_unique<EnqueuedWork>(
      *this, fmt::format("reduce_scatter ({}) of {} {} per rank", to_string(op), count_per_rank, to_string(type)),
      options, [&] {
        SPCT_GPU_CHECK(ncclReduceScatter(send, recv, count_per_rank, nccl_type(type), nccl_op(op), comm_, stream_));
      });
}

void NcclCommunicator::all_reduce(void* data, size_t count, DataType type, ReduceOp op) {
  wait_accepted("the previous NCCL call");
  follow(nullptr);
  SPCT_GPU_CHECK(ncclAllReduce(data, data, count, nccl_type(type), nccl_op(op), comm_, stream_));
  wait_done(fmt::format("all_reduce ({}) of {} {}", to_string(op), count, to_string(type)));
}

void NcclCommunicator::broadcast(void* data, size_t bytes, int root) {
  wait_accepted("the previous NCCL call");
  follow(nullptr);
  SPCT_GPU_CHECK(ncclBroadcast(data, data, bytes, ncclUint8, root, comm_, stream_));
  wait_done(fmt::format("broadcast of {} bytes from rank {}", bytes, root));
}

void NcclCommunicator::all_gather(const void* send, void* recv, size_t bytes_per_rank) {
  wait_accepted("the previous NCCL call");
  follow(nullptr);
  SPCT_GPU_CHECK(ncclAllGather(send, recv, bytes_per_rank, ncclUint8, comm_, stream_));
  wait_done(fmt::format("all_gather of {} bytes per rank", bytes_per_rank));
}

void NcclCommunicator::reduce_scatter(const void* send, void* recv, size_t count_per_rank, DataType type, ReduceOp op) {
  wait_accepted("the previous NCCL call");
  follow(nullptr);
  SPCT_GPU_CHECK(ncclReduceScatter(send, recv, count_per_rank, nccl_type(type), nccl_op(op), comm_, stream_));
  wait_done(fmt::format("reduce_scatter ({}) of {} {} per rank", to_string(op), count_per_rank, to_string(type)));
}

void NcclCommunicator::barrier() {
  // Everything this rank enqueued has run, then every rank has got that far.
  wait_done("barrier (local stream)");
  bootstrap_.barrier();
}

void NcclCommunicator::send_bytes(int dest, int tag, std::span<const uint8_t> bytes) {
  bootstrap_.send_bytes(dest, tag, bytes);
}

void NcclCommunicator::flush() {
  bootstrap_.flush();
}

Received NcclCommunicator::recv_bytes(int source, int tag) {
  return bootstrap_.recv_bytes(source, tag);
}

}  // namespace spct::comm
