// A stalled NCCL collective, on one rank and one GPU: the all-reduce is queued behind a stream that never
// proceeds (a host function on it blocks forever), so its completion event never fires. The rank's wait must
// pass its deadline (the phase timeout, 3 s here), abort the NCCL communicator and end the job through the
// stall detector with exit 4, naming the rank, the phase and the operation. nccl_stall_test.sh checks that.
// Exits 77 (CTest: skipped) without a CUDA device.
#include <cuda_runtime_api.h>
#include <mpi.h>
#include <unistd.h>

#include <cstdio>

#include "core/comm/gpu_check.h"
#include "core/comm/nccl_communicator.h"
#include "tests/mpi/comm/mpi_fixture.h"

using namespace spct;

namespace {

// Runs on CUDA's callback thread and never returns: every later operation on its stream waits behind it.
void CUDART_CB block_forever(void*) {
  for (;;) pause();
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::printf("skipped: no CUDA device\n");
    MPI_Finalize();
    return 77;
  }
  config::TimeoutsSection timeouts = test::test_timeouts();
  timeouts.step_s = 3;
  test::MpiFixture f(comm::Role::kLearner, timeouts);
  comm::PhaseScope phase(f.state, "nccl stall", timeouts.step_s);
  comm::NcclCommunicator nccl(f.world, 0);

  float* values = nullptr;
  SPCT_GPU_CHECK(cudaMalloc(&values, 1024 * sizeof(float)));
  cudaStream_t blocked = nullptr;
  SPCT_GPU_CHECK(cudaStreamCreateWithFlags(&blocked, cudaStreamNonBlocking));
  SPCT_GPU_CHECK(cudaLaunchHostFunc(blocked, block_forever, nullptr));
  comm::CollectiveOptions options;
  options.producer_stream = blocked;  // NCCL's stream waits for `blocked`, which never gets there
  auto work = nccl.start_all_reduce(values, 1024, comm::DataType::kFloat32, comm::ReduceOp::kAvg, options);
  std::printf("rank 0: all_reduce started behind a blocked stream; waiting\n");
  std::fflush(stdout);
  work->wait();  // must not return: the deadline ends the job
  std::printf("rank 0: FAILED: the stalled all_reduce completed\n");
  MPI_Finalize();
  return 1;
}
