// Measures the single-precision matmul throughput LibTorch reaches on this machine and fails loudly when it
// looks like the reference (netlib) BLAS, which Debian's libtorch picks up unless OpenBLAS is installed.
// Built and run by scripts/check-blas.sh; includes only per-operator ATen headers so it compiles in seconds.
#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/mm.h>
#include <ATen/ops/randn.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

int main(int argc, char** argv) {
  // Anything below this is the reference BLAS (2.7 GFLOP/s measured); OpenBLAS reaches 60+ on one core.
  const double min_gflops = argc > 1 ? std::atof(argv[1]) : 20.0;
  at::set_num_threads(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  const int64_t n = 1024;
  const at::Tensor a = at::randn({n, n});
  const at::Tensor b = at::randn({n, n});
  at::mm(a, b);  // warm-up: thread pool start, page faults
  const int reps = 4;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < reps; ++i) at::mm(a, b);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double gflops = 2.0 * n * n * n * reps / seconds / 1e9;
  std::printf("check-blas: LibTorch 1024^3 fp32 matmul on %d threads: %.1f GFLOP/s\n", at::get_num_threads(), gflops);
  if (gflops < min_gflops) {
    std::fprintf(stderr,
                 "check-blas: FAILED: %.1f GFLOP/s is below %.1f: LibTorch is running on the reference BLAS.\n"
                 "  Install libopenblas0-openmp and make it the libblas.so.3 alternative:\n"
                 "  update-alternatives --display libblas.so.3-x86_64-linux-gnu\n",
                 gflops, min_gflops);
    return 1;
  }
  return 0;
}
