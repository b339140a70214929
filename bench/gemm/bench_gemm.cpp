// The machine's matmul limit as LibTorch reaches it: at::mm of two n x n matrices in float32 and bfloat16, on 1
// thread and on every core, in GFLOP/s (2 n^3 per product). Every other benchmark's "share of GEMM" divides by
// these figures. Each figure comes twice: the best wall-clock rate (the limit on an idle machine) and the rate per
// CPU-second the process was given (the same limit, measured on a machine busy with other work). Includes only
// per-operator ATen headers and uses only the stable ATen API, so the same file also builds by hand against another
// LibTorch for a side-by-side run (docs/benchmarks.md shows how).
//
// Usage: spct_bench_gemm [n=1024] [seconds per figure=1]   prints one line per dtype and thread count and a JSON
// line (`gemm: {...}`) for scripts.
#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/mm.h>
#include <ATen/ops/randn.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

namespace {

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + 1e-6 * static_cast<double>(t.tv_usec);
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

struct Rate {
  double best_wall = 0;       // GFLOP/s of the fastest product: the one the machine's other work disturbed least
  double per_cpu_second = 0;  // GFLOP per CPU-second over all products
};

Rate gflops(at::ScalarType dtype, int64_t n, double seconds) {
  const at::Tensor a = at::randn({n, n}).to(dtype);
  const at::Tensor b = at::randn({n, n}).to(dtype);
  at::mm(a, b);  // warm-up: thread pool start, page faults, kernel selection
  const double flops = 2.0 * static_cast<double>(n * n * n);
  Rate rate;
  int64_t products = 0;
  const double cpu_start = cpu_seconds();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  do {
    const auto start = std::chrono::steady_clock::now();
    at::mm(a, b);
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    rate.best_wall = std::max(rate.best_wall, flops / elapsed / 1e9);
    ++products;
  } while (std::chrono::steady_clock::now() < deadline);
  rate.per_cpu_second = flops * static_cast<double>(products) / std::max(1e-9, cpu_seconds() - cpu_start) / 1e9;
  return rate;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t n = argc > 1 ? std::atoll(argv[1]) : 1024;
  const double seconds = argc > 2 ? std::atof(argv[2]) : 1.0;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::string json = "{\"n\": " + std::to_string(n) + ", \"cores\": " + std::to_string(cores);
  for (const at::ScalarType dtype : {at::kFloat, at::kBFloat16}) {
    for (const int threads : {1, cores}) {
      at::set_num_threads(threads);
      const Rate rate = gflops(dtype, n, seconds);
      const std::string name = std::string(dtype == at::kFloat ? "fp32" : "bf16") + "_" + std::to_string(threads) + "t";
      std::printf("gemm %s, n=%lld: best %.1f GFLOP/s, %.1f GFLOP per CPU-second\n", name.c_str(),
                  static_cast<long long>(n), rate.best_wall, rate.per_cpu_second);
      json += ", \"" + name + "\": " + std::to_string(rate.best_wall) + ", \"" + name +
              "_per_cpu_s\": " + std::to_string(rate.per_cpu_second);
      if (threads == cores) break;  // a 1-core machine has one figure per dtype
    }
  }
  std::printf("gemm: %s}\n", json.c_str());
  return 0;
}
