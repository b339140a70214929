// Two processes that share one GPU exchange weights (label gpu; skipped without a CUDA device): NCCL cannot put
// two ranks on one device, so the weight-sync communicator either broadcasts by CUDA IPC (`ipc`: the buckets
// never leave the GPU; what spct's World picks when every member shares the GPU, core/comm/device_transport.h) or
// stages device buffers through pinned host memory over MPI (`staging`). Rank 0 publishes three versions of CUDA
// tensors in buckets smaller than the tensors; rank 1 receives each into CUDA tensors and must hold them bit for
// bit, and the IPC run must have taken the IPC path for every bucket.
//
// Usage: spct_gpu_weight_sync_program ipc|staging (under mpiexec -n 2).
#include <ATen/ops/arange.h>
#include <ATen/ops/equal.h>
#include <ATen/ops/full.h>
#include <mpi.h>

#include <cstdio>
#include <string>

#include "core/comm/hybrid_communicator.h"
#include "distributed/weight_sync.h"
#include "models/device.h"
#include "tests/mpi/comm/mpi_fixture.h"

using namespace spct;
using distributed::NamedTensors;

namespace {

NamedTensors weights(uint64_t version, const at::Device& device) {
  const double v = static_cast<double>(version);
  return {{"embed", at::arange(100000, at::TensorOptions().dtype(at::kFloat).device(device)).add(v)},
          {"layers.0.w", at::full({37, 53}, v / 3, at::TensorOptions().dtype(at::kBFloat16).device(device))},
          {"norm", at::full({64}, v, at::TensorOptions().dtype(at::kFloat).device(device))}};
}

bool equal(const NamedTensors& a, const NamedTensors& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].first != b[i].first || !a[i].second.is_cuda() || !at::equal(a[i].second.cpu(), b[i].second.cpu())) {
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  if (models::cuda_device_count() == 0) {
    std::printf("rank %d: skipped: no CUDA device\n", test::world_rank());
    MPI_Finalize();
    return 77;
  }
  const bool ipc = argc > 1 && std::string(argv[1]) == "ipc";
  int failures = 0;
  {
    test::MpiFixture f;
    comm::PhaseScope phase(f.state, "weight sync", 60);
    const at::Device device = models::device_for(spct::config::Device::kCuda);  // both ranks: the one GPU
    comm::HybridCommunicator sync(f.world, nullptr, ipc);
    constexpr size_t kBucketBytes = 64 * 1024;  // smaller than "embed" (400 kB): tensors span buckets
    if (sync.rank() == 0) {
      distributed::WeightPublisher publisher(sync, kBucketBytes);
      for (uint64_t version = 1; version <= 3; ++version) publisher.publish(version, weights(version, device));
    } else {
      distributed::WeightReceiver receiver(sync, weights(0, device), 0, kBucketBytes);
      for (uint64_t version = 1; version <= 3; ++version) {
        if (receiver.receive() != version || !equal(receiver.current()->tensors, weights(version, device))) {
          std::fprintf(stderr, "rank 1: FAILED: version %llu did not arrive whole\n",
                       static_cast<unsigned long long>(version));
          ++failures;
        }
      }
      NamedTensors model = weights(0, device);
      receiver.copy_into(model);
      if (!equal(model, weights(3, device))) {
        std::fprintf(stderr, "rank 1: FAILED: copy_into did not write version 3\n");
        ++failures;
      }
    }
    sync.barrier();
    // Every bucket of the three versions went by IPC (or none did, staging).
    if (ipc ? sync.ipc_broadcasts() < 3 : sync.ipc_broadcasts() != 0) {
      std::fprintf(stderr, "rank %d: FAILED: %lld CUDA IPC broadcasts in mode %s\n", sync.rank(),
                   static_cast<long long>(sync.ipc_broadcasts()), ipc ? "ipc" : "staging");
      ++failures;
    }
    if (ipc)
      std::printf("rank %d: %lld buckets by CUDA IPC\n", sync.rank(), static_cast<long long>(sync.ipc_broadcasts()));
  }
  int failed_anywhere = 0;
  MPI_Allreduce(&failures, &failed_anywhere, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (test::world_rank() == 0) std::printf("%s\n", failed_anywhere ? "FAILED" : "1 passed, 0 failed");
  MPI_Finalize();
  return failed_anywhere ? 1 : 0;
}
