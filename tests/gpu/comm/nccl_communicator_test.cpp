// NcclCommunicator on real GPUs, under mpiexec: one rank per device. Exits 77 (CTest: skipped) when the
// machine has fewer CUDA devices than ranks, so the gpu suite runs everywhere and tests where it can.
#include "core/comm/nccl_communicator.h"

#include <cuda_runtime_api.h>
#include <mpi.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "core/comm/gpu_check.h"
#include "tests/mpi/comm/mpi_fixture.h"

using namespace spct;
using namespace spct::comm;

namespace {

int failures = 0;

void expect(bool ok, const char* what) {
  if (!ok) {
    ++failures;
    std::fprintf(stderr, "rank %d: FAILED: %s\n", test::world_rank(), what);
  }
}

template <class T>
std::vector<T> to_host(const T* device, size_t count) {
  std::vector<T> host(count);
  SPCT_GPU_CHECK(cudaMemcpy(host.data(), device, count * sizeof(T), cudaMemcpyDeviceToHost));
  return host;
}

template <class T>
T* to_device(const std::vector<T>& host) {
  T* device = nullptr;
  SPCT_GPU_CHECK(cudaMalloc(&device, host.size() * sizeof(T)));
  SPCT_GPU_CHECK(cudaMemcpy(device, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice));
  return device;
}

void run(NcclCommunicator& nccl) {
  const int rank = nccl.rank();
  const int size = nccl.size();
  const size_t count = 1 << 20;

  float* values = to_device(std::vector<float>(count, static_cast<float>(rank + 1)));
  nccl.all_reduce(values, count, DataType::kFloat32, ReduceOp::kSum);
  const float sum = static_cast<float>(size * (size + 1)) / 2.0F;
  std::vector<float> host = to_host(values, count);
  expect(host.front() == sum && host.back() == sum, "float32 sum");
  nccl.all_reduce(values, count, DataType::kFloat32, ReduceOp::kAvg);
  host = to_host(values, count);
  expect(host[count / 2] == sum, "float32 average of equal values");
  SPCT_GPU_CHECK(cudaFree(values));

  int64_t* ids = to_device(std::vector<int64_t>{int64_t{rank} * 10, -rank});
  nccl.all_reduce(ids, 2, DataType::kInt64, ReduceOp::kMax);
  const std::vector<int64_t> max = to_host(ids, 2);
  expect(max[0] == int64_t{size - 1} * 10 && max[1] == 0, "int64 max");
  SPCT_GPU_CHECK(cudaFree(ids));

  uint8_t* bytes = to_device(std::vector<uint8_t>(4096, rank == 0 ? 7 : 0));
  nccl.broadcast(bytes, 4096, 0);
  expect(to_host(bytes, 4096)[4095] == 7, "broadcast from rank 0");
  SPCT_GPU_CHECK(cudaFree(bytes));

  int32_t* mine = to_device(std::vector<int32_t>{rank, rank});
  int32_t* all = to_device(std::vector<int32_t>(2 * static_cast<size_t>(size), -1));
  nccl.all_gather(mine, all, 2 * sizeof(int32_t));
  const std::vector<int32_t> gathered = to_host(all, 2 * static_cast<size_t>(size));
  for (int r = 0; r < size; ++r) expect(gathered[2 * static_cast<size_t>(r) + 1] == r, "all_gather in rank order");
  SPCT_GPU_CHECK(cudaFree(mine));
  SPCT_GPU_CHECK(cudaFree(all));

  // Host messages travel over the bootstrap communicator.
  nccl.send((rank + 1) % size, protocol::Control{.kind = protocol::Control::Kind::kCheckpoint, .step = 3});
  const auto [from, control] = nccl.recv_as<protocol::Control>((rank + size - 1) % size);
  expect(from == (rank + size - 1) % size && control.step == 3, "host message over the bootstrap communicator");
  nccl.barrier();
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess) devices = 0;
  if (devices < test::world_size()) {
    std::printf("rank %d: skipped: %d CUDA device(s) for %d ranks\n", test::world_rank(), devices, test::world_size());
    MPI_Finalize();
    return 77;
  }
  {
    test::MpiFixture f;
    PhaseScope phase(f.state, "nccl_test", 60);
    NcclCommunicator nccl(f.world, f.world.rank() % devices);
    run(nccl);
  }
  int failed_anywhere = 0;
  MPI_Allreduce(&failures, &failed_anywhere, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (test::world_rank() == 0) std::printf("%s\n", failed_anywhere ? "FAILED" : "all NCCL checks passed");
  MPI_Finalize();
  return failed_anywhere ? 1 : 0;
}
