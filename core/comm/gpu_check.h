// SPCT_GPU_CHECK(call): every CUDA runtime and NCCL call in spct goes through it, the GPU twin of
// SPCT_MPI_CHECK. A failure throws spct::comm::CommError "ncclAllReduce(...) failed at
// core/comm/nccl_communicator.cpp:120: unhandled cuda error (NCCL error 1)". For NCCL it returns the result, so
// that ncclInProgress (the normal answer of a non-blocking communicator) can be polled; CUDA's
// cudaErrorNotReady is likewise returned, not thrown, for stream and event queries.
// Only built with SPCT_HAVE_NCCL.
#pragma once

#include <cuda_runtime_api.h>
#include <nccl.h>

namespace spct::comm::detail {

// Throws CommError unless `code` is cudaSuccess or cudaErrorNotReady; returns it.
cudaError_t check_gpu(cudaError_t code, const char* call, const char* file, int line);
// Throws CommError unless `code` is ncclSuccess or ncclInProgress; returns it.
ncclResult_t check_gpu(ncclResult_t code, const char* call, const char* file, int line);

}  // namespace spct::comm::detail

#define SPCT_GPU_CHECK(call) ::spct::comm::detail::check_gpu((call), #call, __FILE__, __LINE__)
