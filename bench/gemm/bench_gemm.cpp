// The machine's matmul limit as LibTorch reaches it: at::mm of two n x n matrices in float32 and bfloat16, on 1
// thread and on every core, in GFLOP/s (2 n^3 per product). Every other benchmark's "share of GEMM" divides by
// these figures. Includes only per-operator ATen headers and uses only the stable ATen API, so the same file also
// builds by hand against another LibTorch for a side-by-side run (docs/benchmarks.md shows how).
//
// Usage: spct_bench_gemm [n=1024] [seconds per figure=1]   prints one line per dtype and thread count and a JSON
// line (`gemm: {...}`) for scripts.
#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/mm.h>
#include <ATen/ops/randn.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

namespace {

// Best-of-repetitions GFLOP/s over about `seconds`: the best run is the one the machine's other work disturbed
// least, which is the figure a limit should be.
double gflops(at::ScalarType dtype, int64_t n, double seconds) {
  const at::Tensor a = at::randn({n, n}).to(dtype);
  const at::Tensor b = at::randn({n, n}).to(dtype);
  at::mm(a, b);  // warm-up: thread pool start, page faults, kernel selection
  double best = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  do {
    const auto start = std::chrono::steady_clock::now();
    at::mm(a, b);
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, 2.0 * static_cast<double>(n * n * n) / elapsed / 1e9);
  } while (std::chrono::steady_clock::now() < deadline);
  return best;
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
      const double figure = gflops(dtype, n, seconds);
      const char* name = dtype == at::kFloat ? "fp32" : "bf16";
      std::printf("gemm %s %lldx%lldx%lld, %d thread(s): %.1f GFLOP/s\n", name, static_cast<long long>(n),
                  static_cast<long long>(n), static_cast<long long>(n), threads, figure);
      json += ", \"" + std::string(name) + "_" + std::to_string(threads) + "t\": " + std::to_string(figure);
      if (threads == cores) break;  // a 1-core machine has one figure per dtype
    }
  }
  std::printf("gemm: %s}\n", json.c_str());
  return 0;
}
