// Weight sync at model size; run under mpiexec (run.sh: 4 ranks over shared memory, then over TCP with shared
// memory off). Rank 0 publishes a Qwen2.5-0.5B-shaped parameter list (hidden 896, MLP 4864, 14 heads / 2 KV
// heads of 64, vocabulary 151936, tied embeddings; --layers of the 24) with WeightPublisher, every other rank
// receives it with WeightReceiver (the blocking receive() of the step boundary, and the overlapped
// start()/finish() the rollout workers use), and a raw MPI_Bcast of the same number of bytes runs on the same
// ranks in the same rounds. Reported per dtype: seconds per GB (1e9 bytes) and the ratio spct / raw.
// Then the overlap (--overlap-s > 0): the publisher publishes at once while every receiver "generates" for
// --overlap-s seconds (matrix products on a helper thread, as the rollout workers generate, while the MPI
// thread polls the receive every 200 us); reported is what is left on the critical path once generation ends:
// the whole receive() for the blocking path, the finish() for the overlapped one.
// Rank 0 prints one line per measurement: the median of --iters rounds after one warm-up, max over ranks.
#include <ATen/Parallel.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/mm.h>
#include <ATen/ops/ones.h>
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "bench/support/mpi_bench_world.h"
#include "bench/support/time_interleaved.h"
#include "core/comm/layout.h"
#include "core/comm/mpi_communicator.h"
#include "core/comm/world.h"
#include "distributed/weight_sync.h"

using namespace spct;

namespace {

struct Options {
  int layers = 24;
  double bucket_mb = 64;  // distributed.weight_bucket_mb's default
  int iters = 5;
  double overlap_s = 0;
  std::vector<std::string> dtypes = {"float32", "bfloat16"};
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    const std::string value = argv[i + 1];
    if (key == "--layers") o.layers = std::atoi(value.c_str());
    if (key == "--bucket-mb") o.bucket_mb = std::atof(value.c_str());
    if (key == "--iters") o.iters = std::atoi(value.c_str());
    if (key == "--dtype") o.dtypes = {value};
    if (key == "--overlap-s") o.overlap_s = std::atof(value.c_str());
  }
  return o;
}

using spct::bench::time_interleaved;

// The parameters of Qwen2.5-0.5B's embedding, first `layers` decoder layers and final norm, as views of one
// buffer (`storage`, which the raw broadcast reuses, so a rank holds no extra copy for it).
distributed::NamedTensors qwen_half_b(int layers, at::ScalarType type, at::Tensor& storage) {
  constexpr int64_t kHidden = 896;
  constexpr int64_t kKv = 2 * 64;
  constexpr int64_t kMlp = 4864;
  std::vector<std::pair<std::string, std::vector<int64_t>>> shapes = {{"embed_tokens", {151936, kHidden}}};
  for (int l = 0; l < layers; ++l) {
    const std::string p = "layers." + std::to_string(l) + ".";
    for (auto& entry :
         std::vector<std::pair<std::string, std::vector<int64_t>>>{{"q_proj.weight", {kHidden, kHidden}},
                                                                   {"q_proj.bias", {kHidden}},
                                                                   {"k_proj.weight", {kKv, kHidden}},
                                                                   {"k_proj.bias", {kKv}},
                                                                   {"v_proj.weight", {kKv, kHidden}},
                                                                   {"v_proj.bias", {kKv}},
                                                                   {"o_proj.weight", {kHidden, kHidden}},
                                                                   {"gate_proj.weight", {kMlp, kHidden}},
                                                                   {"up_proj.weight", {kMlp, kHidden}},
                                                                   {"down_proj.weight", {kHidden, kMlp}},
                                                                   {"input_layernorm.weight", {kHidden}},
                                                                   {"post_attention_layernorm.weight", {kHidden}}}) {
      shapes.emplace_back(p + entry.first, entry.second);
    }
  }
  shapes.push_back({"norm.weight", {kHidden}});
  const int64_t element = at::elementSize(type);
  int64_t bytes = 0;
  for (const auto& [name, shape] : shapes) {
    int64_t n = 1;
    for (const int64_t d : shape) n *= d;
    bytes += (n * element + 63) / 64 * 64;
  }
  storage = at::empty({bytes}, at::kByte);
  storage.fill_(1);
  distributed::NamedTensors out;
  int64_t at = 0;
  for (const auto& [name, shape] : shapes) {
    int64_t n = 1;
    for (const int64_t d : shape) n *= d;
    out.emplace_back(name, storage.narrow(0, at, n * element).view(type).view(shape));
    at += (n * element + 63) / 64 * 64;
  }
  return out;
}

// Stands in for generation: matrix products for `seconds`.
void compute_for(double seconds) {
  const at::Tensor a = at::ones({256, 256});
  at::Tensor b = at::ones({256, 256}).div(256);
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until) b = at::mm(a, b).div(256);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Medians over `iters` rounds (after one warm-up) of the receive time left after `overlap_s` seconds of
// generation: {blocking, overlapped}, max over ranks.
std::vector<double> critical_path(int iters, double overlap_s, distributed::WeightPublisher* publisher,
                                  distributed::WeightReceiver* receiver, const distributed::NamedTensors& params,
                                  uint64_t& version) {
  std::vector<std::vector<double>> tails(2);
  for (int i = -1; i < iters; ++i) {
    for (int overlapped = 0; overlapped < 2; ++overlapped) {
      MPI_Barrier(MPI_COMM_WORLD);
      double tail = 0;
      if (publisher) {
        publisher->publish(++version, params);
      } else if (overlapped == 0) {
        compute_for(overlap_s);
        const auto start = std::chrono::steady_clock::now();
        receiver->receive();
        tail = seconds_since(start);
      } else {
        receiver->start();
        std::future<void> generation = std::async(std::launch::async, [&] { compute_for(overlap_s); });
        bool arrived = false;
        while (generation.wait_for(std::chrono::microseconds(200)) != std::future_status::ready) {
          if (!arrived) arrived = receiver->progress();
        }
        generation.get();
        const auto start = std::chrono::steady_clock::now();
        receiver->finish();
        tail = seconds_since(start);
      }
      if (i >= 0) tails[static_cast<size_t>(overlapped)].push_back(tail);
    }
  }
  std::vector<double> medians;
  for (std::vector<double>& t : tails) {
    std::sort(t.begin(), t.end());
    medians.push_back(t[t.size() / 2]);
  }
  MPI_Allreduce(MPI_IN_PLACE, medians.data(), 2, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return medians;
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
    bench::MpiBenchWorld setup(comm::Role::kRollout, rank, size);
    comm::MpiCommunicator& world = setup.world;
    const auto bucket = static_cast<size_t>(o.bucket_mb * (1 << 20));
    if (rank == 0) {
      std::printf("ranks %d, Qwen2.5-0.5B shapes with %d of 24 layers, weight buckets %.0f MiB, %d rounds\n", size,
                  o.layers, o.bucket_mb, o.iters);
    }
    for (const std::string& dtype : o.dtypes) {
      const at::ScalarType type = dtype == "bfloat16" ? at::kBFloat16 : at::kFloat;
      at::Tensor storage;
      const distributed::NamedTensors params = qwen_half_b(o.layers, type, storage);
      const double gb = static_cast<double>(storage.numel()) / 1e9;
      uint64_t version = 0;
      std::unique_ptr<distributed::WeightPublisher> publisher;
      std::unique_ptr<distributed::WeightReceiver> receiver;
      if (rank == 0) {
        publisher = std::make_unique<distributed::WeightPublisher>(world, bucket);
      } else {
        receiver = std::make_unique<distributed::WeightReceiver>(world, params, 0, bucket);
      }
      const auto raw = [&] {
        MPI_Bcast(storage.data_ptr(), static_cast<int>(storage.numel()), MPI_BYTE, 0, MPI_COMM_WORLD);
      };
      const auto blocking = [&] {
        if (publisher) {
          publisher->publish(++version, params);
        } else {
          receiver->receive();
        }
      };
      const auto overlapped = [&] {
        if (publisher) {
          publisher->publish(++version, params);
        } else {
          receiver->start();
          receiver->finish();
        }
      };
      const std::vector<double> t = time_interleaved(o.iters, {raw, blocking, overlapped});
      if (rank == 0) {
        std::printf("%-8s %6.3f GB  raw MPI_Bcast       %7.3f s/GB\n", dtype.c_str(), gb, t[0] / gb);
        std::printf("%-8s %6.3f GB  spct receive()      %7.3f s/GB  spct/raw %.2f\n", dtype.c_str(), gb, t[1] / gb,
                    t[1] / t[0]);
        std::printf("%-8s %6.3f GB  spct start/finish() %7.3f s/GB  spct/raw %.2f\n", dtype.c_str(), gb, t[2] / gb,
                    t[2] / t[0]);
        std::fflush(stdout);
      }
      if (o.overlap_s > 0) {
        const std::vector<double> tail =
            critical_path(o.iters, o.overlap_s, publisher.get(), receiver.get(), params, version);
        if (rank == 0) {
          std::printf(
              "%-8s %6.3f GB  after %.1f s of generation, the sync left on the critical path: blocking "
              "receive() %.3f s, overlapped finish() %.3f s\n",
              dtype.c_str(), gb, o.overlap_s, tail[0], tail[1]);
          std::fflush(stdout);
        }
      }
    }
  }
  MPI_Finalize();
  return 0;
}
