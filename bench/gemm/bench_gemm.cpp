// The machine's matmul limit as LibTorch reaches it: at::mm of two n x n matrices in float32 and bfloat16, and the
// same float32 product through oneDNN (models/onednn_linear.h, what spct's projections use on the CPU), on 1
// thread and on every core, in GFLOP/s (2 n^3 per product). Every other benchmark's "share of GEMM" divides by
// these figures. Each figure comes twice: the best wall-clock rate (the limit on an idle machine) and the rate per
// CPU-second the process was given (the same limit, measured on a machine busy with other work). at::mm takes
// float32 to MKL, whose kernels run 2-2.5x below oneDNN's on AMD CPUs; bfloat16 goes to oneDNN either way. Last,
// the rate at which the cores read memory (a sum over 1 GiB), which bounds a decode step that streams weights.
//
// Usage: spct_bench_gemm [n=1024] [seconds per figure=1]   prints one line per kernel and thread count, the read
// rates, and a JSON line (`gemm: {...}`) for scripts.
#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/mm.h>
#include <ATen/ops/randn.h>
#include <ATen/ops/sum.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "models/onednn_linear.h"

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

// The product a b: at::mm, or oneDNN's (a times the transposed view of b, read as it lies).
at::Tensor product(const at::Tensor& a, const at::Tensor& b, bool onednn) {
  return onednn ? spct::models::onednn_linear(a, b.t(), at::Tensor()) : at::mm(a, b);
}

Rate gflops(at::ScalarType dtype, bool onednn, int64_t n, double seconds) {
  const at::Tensor a = at::randn({n, n}).to(dtype);
  const at::Tensor b = at::randn({n, n}).to(dtype);
  product(a, b, onednn);  // warm-up: thread pool start, page faults, kernel selection
  const double flops = 2.0 * static_cast<double>(n * n * n);
  Rate rate;
  int64_t products = 0;
  const double cpu_start = cpu_seconds();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  do {
    const auto start = std::chrono::steady_clock::now();
    product(a, b, onednn);
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    rate.best_wall = std::max(rate.best_wall, flops / elapsed / 1e9);
    ++products;
  } while (std::chrono::steady_clock::now() < deadline);
  rate.per_cpu_second = flops * static_cast<double>(products) / std::max(1e-9, cpu_seconds() - cpu_start) / 1e9;
  return rate;
}

// The best wall-clock rate, in GB/s, at which the process reads a float32 tensor of `bytes` (far larger than the
// caches) summing it: the other limit of a decode step, which reads every weight once per step.
double read_gb_per_s(int64_t bytes, double seconds) {
  const at::Tensor data = at::randn({bytes / 4});
  data.sum();  // warm-up
  double best = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  do {
    const auto start = std::chrono::steady_clock::now();
    data.sum();
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, static_cast<double>(bytes) / elapsed / 1e9);
  } while (std::chrono::steady_clock::now() < deadline);
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t n = argc > 1 ? std::atoll(argv[1]) : 1024;
  const double seconds = argc > 2 ? std::atof(argv[2]) : 1.0;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::string json = "{\"n\": " + std::to_string(n) + ", \"cores\": " + std::to_string(cores);
  struct Kernel {
    at::ScalarType dtype;
    bool onednn;
    const char* name;
  };
  for (const Kernel kernel : {Kernel{at::kFloat, false, "fp32"}, Kernel{at::kFloat, true, "fp32_onednn"},
                              Kernel{at::kBFloat16, false, "bf16"}}) {
    if (kernel.onednn && !spct::models::onednn_linear_available()) continue;
    for (const int threads : {1, cores}) {
      at::set_num_threads(threads);
      const Rate rate = gflops(kernel.dtype, kernel.onednn, n, seconds);
      const std::string name = std::string(kernel.name) + "_" + std::to_string(threads) + "t";
      std::printf("gemm %s, n=%lld: best %.1f GFLOP/s, %.1f GFLOP per CPU-second\n", name.c_str(),
                  static_cast<long long>(n), rate.best_wall, rate.per_cpu_second);
      json += ", \"" + name + "\": " + std::to_string(rate.best_wall) + ", \"" + name +
              "_per_cpu_s\": " + std::to_string(rate.per_cpu_second);
      if (threads == cores) break;  // a 1-core machine has one figure per dtype
    }
  }
  for (const int threads : {1, cores}) {
    at::set_num_threads(threads);
    const double rate = read_gb_per_s(int64_t{1} << 30, seconds);
    std::printf("memory read, 1 GiB, %d thread(s): best %.1f GB/s\n", threads, rate);
    json += ", \"read_gb_s_" + std::to_string(threads) + "t\": " + std::to_string(rate);
    if (threads == cores) break;
  }
  std::printf("gemm: %s}\n", json.c_str());
  return 0;
}
