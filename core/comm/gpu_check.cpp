#include "core/comm/gpu_check.h"

#include <fmt/format.h>

#include "core/comm/comm_error.h"

namespace spct::comm::detail {

cudaError_t check_gpu(cudaError_t code, const char* call, const char* file, int line) {
  if (code == cudaSuccess || code == cudaErrorNotReady) return code;
  throw CommError(fmt::format("{} failed at {}:{}: {} (CUDA error {})", call, file, line, cudaGetErrorString(code),
                              static_cast<int>(code)));
}

ncclResult_t check_gpu(ncclResult_t code, const char* call, const char* file, int line) {
  if (code == ncclSuccess || code == ncclInProgress) return code;
  throw CommError(fmt::format("{} failed at {}:{}: {} (NCCL error {})", call, file, line, ncclGetErrorString(code),
                              static_cast<int>(code)));
}

}  // namespace spct::comm::detail
