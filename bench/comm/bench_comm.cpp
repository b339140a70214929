// Communication benchmarks; run under mpiexec with 2 and 4 ranks (run.sh does both):
//   1. Gradient all-reduce: GradSync::sync() over a model-like list of float32 gradients (buckets of
//      --bucket-mb) against one raw blocking MPI_Allreduce of the same total bytes. Target: >= 90%.
//   2. The bare MpiCommunicator::all_reduce (non-blocking MPI polled by the stall detector) on one flat buffer,
//      to separate the polling overhead from the bucketing copies.
//   3. Weight sync: WeightPublisher -> WeightReceiver of the same tensors (buckets of --weight-bucket-mb)
//      against a raw MPI_Bcast of the same bytes; reported as milliseconds per MB.
// Rank 0 prints one line per measurement: the median of --iters repetitions after one warm-up.
#include <ATen/Parallel.h>
#include <ATen/ops/ones.h>
#include <ATen/ops/zeros.h>
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bench/support/mpi_bench_world.h"
#include "bench/support/time_interleaved.h"
#include "core/comm/layout.h"
#include "core/comm/mpi_communicator.h"
#include "core/comm/world.h"
#include "distributed/grad_sync.h"
#include "distributed/weight_sync.h"

using namespace spct;

namespace {

struct Options {
  double total_mb = 64;
  double bucket_mb = 25;
  double weight_bucket_mb = 64;
  int iters = 7;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    const double value = std::atof(argv[i + 1]);
    if (key == "--mb") o.total_mb = value;
    if (key == "--bucket-mb") o.bucket_mb = value;
    if (key == "--weight-bucket-mb") o.weight_bucket_mb = value;
    if (key == "--iters") o.iters = static_cast<int>(value);
  }
  return o;
}

using spct::bench::time_interleaved;

// A transformer-like parameter list of about `total_mb` MiB: embeddings, per-layer square and MLP matrices,
// and small norms and biases.
distributed::NamedTensors make_model(double total_mb) {
  const int64_t hidden = 512;
  const int64_t total = static_cast<int64_t>(total_mb * (1 << 20) / 4);
  distributed::NamedTensors params;
  params.emplace_back("embed", at::ones({4 * hidden * 16}, at::kFloat));
  int64_t used = params.back().second.numel();
  for (int layer = 0; used < total; ++layer) {
    const std::string p = "layers." + std::to_string(layer) + ".";
    for (const auto& [name, numel] : std::vector<std::pair<std::string, int64_t>>{{"attn.qkv", 3 * hidden * hidden},
                                                                                  {"attn.out", hidden * hidden},
                                                                                  {"mlp.up", 4 * hidden * hidden},
                                                                                  {"mlp.down", 4 * hidden * hidden},
                                                                                  {"norm1", hidden},
                                                                                  {"norm2", hidden},
                                                                                  {"mlp.bias", 4 * hidden}}) {
      const int64_t n = std::min(numel, std::max<int64_t>(1, total - used));
      params.emplace_back(p + name, at::ones({n}, at::kFloat));
      used += n;
      if (used >= total) break;
    }
  }
  return params;
}

}  // namespace

int main(int argc, char** argv) {
  comm::set_mpi_defaults();  // as spct's MpiSession does
  MPI_Init(&argc, &argv);
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  at::set_num_threads(1);
  const Options o = parse(argc, argv);
  int rank = 0;
  int size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  {
    bench::MpiBenchWorld setup(comm::Role::kLearner, rank, size);
    comm::MpiCommunicator& world = setup.world;

    distributed::NamedTensors params = make_model(o.total_mb);
    int64_t elements = 0;
    for (auto& [name, p] : params) {
      p.mutable_grad() = at::ones(p.sizes(), at::kFloat);
      elements += p.numel();
    }
    const double mb = static_cast<double>(elements) * 4 / (1 << 20);
    if (rank == 0) {
      std::printf("ranks %d, %zu tensors, %.1f MiB of float32, gradient buckets %.1f MiB, weight buckets %.1f MiB\n",
                  size, params.size(), mb, o.bucket_mb, o.weight_bucket_mb);
    }

    // 1-2. All-reduce.
    std::vector<float> flat(static_cast<size_t>(elements), 1.0f);
    distributed::GradSync sync(world, params, static_cast<size_t>(o.bucket_mb * (1 << 20)));
    const std::vector<double> reduce = time_interleaved(
        o.iters, {[&] {
                    MPI_Allreduce(MPI_IN_PLACE, flat.data(), static_cast<int>(flat.size()), MPI_FLOAT, MPI_SUM,
                                  MPI_COMM_WORLD);
                  },
                  [&] { world.all_reduce(flat.data(), flat.size(), comm::DataType::kFloat32, comm::ReduceOp::kSum); },
                  [&] { sync.sync(); }});
    const double raw = reduce[0];
    const double bare = reduce[1];
    const double bucketed = reduce[2];
    if (rank == 0) {
      std::printf("all-reduce  raw MPI_Allreduce      %8.2f ms  %8.1f MiB/s\n", raw * 1e3, mb / raw);
      std::printf("all-reduce  MpiCommunicator        %8.2f ms  %8.1f MiB/s  %5.1f%% of raw\n", bare * 1e3, mb / bare,
                  100 * raw / bare);
      std::printf("all-reduce  GradSync (%zu buckets)  %8.2f ms  %8.1f MiB/s  %5.1f%% of raw\n", sync.bucket_count(),
                  bucketed * 1e3, mb / bucketed, 100 * raw / bucketed);
    }

    // 3. Weight broadcast from rank 0.
    std::vector<uint8_t> bytes(static_cast<size_t>(elements) * 4, 1);
    const auto weight_bucket = static_cast<size_t>(o.weight_bucket_mb * (1 << 20));
    uint64_t version = 0;
    std::unique_ptr<distributed::WeightPublisher> publisher;
    std::unique_ptr<distributed::WeightReceiver> receiver;
    if (rank == 0) {
      publisher = std::make_unique<distributed::WeightPublisher>(world, weight_bucket);
    } else {
      receiver = std::make_unique<distributed::WeightReceiver>(world, params, 0, weight_bucket);
    }
    const std::vector<double> bcast = time_interleaved(
        o.iters, {[&] { MPI_Bcast(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, 0, MPI_COMM_WORLD); },
                  [&] {
                    if (publisher) {
                      publisher->publish(++version, params);
                    } else {
                      receiver->receive();
                    }
                  }});
    const double raw_bcast = bcast[0];
    const double weights = bcast[1];
    if (rank == 0) {
      std::printf("broadcast   raw MPI_Bcast          %8.2f ms  %8.3f ms/MiB\n", raw_bcast * 1e3, raw_bcast * 1e3 / mb);
      std::printf("broadcast   weight sync            %8.2f ms  %8.3f ms/MiB  %5.1f%% of raw\n", weights * 1e3,
                  weights * 1e3 / mb, 100 * raw_bcast / weights);
    }
  }
  MPI_Finalize();
  return 0;
}
