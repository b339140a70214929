// Starts the way spct starts (run::ensure_passive_openmp first), then runs 100 tiny parallel regions on 2 ATen
// threads with a 5 ms pause after each, and prints one line:
//   <OMP_WAIT_POLICY as this image sees it> <CPU seconds of the threads other than main per wall second> <libgomp>
// The second field is what idle OpenMP workers take from the rest of the machine: near 1 when they spin through
// the pauses, near 0 when they block. The third lists the libgomp files mapped into the process (/proc/self/maps),
// comma-separated: the one whose policy is being measured.
#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/zeros.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <string>
#include <thread>

#include "orchestrator/run/openmp_wait_policy.h"

namespace {

double cpu_s(int who) {
  rusage usage{};
  getrusage(who, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6;
}

std::string mapped_libgomp() {
  std::ifstream maps("/proc/self/maps");
  std::set<std::string> paths;
  std::string line;
  while (std::getline(maps, line)) {
    const size_t slash = line.find('/');
    if (slash != std::string::npos && line.find("libgomp", slash) != std::string::npos)
      paths.insert(line.substr(slash));
  }
  std::string joined;
  for (const std::string& path : paths) joined += (joined.empty() ? "" : ",") + path;
  return joined.empty() ? "none" : joined;
}

}  // namespace

int main(int, char** argv) {
  spct::run::ensure_passive_openmp(argv);
  at::set_num_threads(2);
  // An op that LibTorch splits across its threads inside libtorch (at::parallel_for in this file would not: its
  // OpenMP pragma is compiled here, without -fopenmp): 64 k elements, two grains of 32 k, microseconds of work.
  at::Tensor x = at::zeros({int64_t{1} << 16});
  const auto region = [&] { x.add_(1); };
  region();  // starts the worker thread
  const double others_start = cpu_s(RUSAGE_SELF) - cpu_s(RUSAGE_THREAD);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 100; ++i) {
    region();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double others = cpu_s(RUSAGE_SELF) - cpu_s(RUSAGE_THREAD) - others_start;
  const char* policy = std::getenv("OMP_WAIT_POLICY");
  std::printf("%s %.4f %s\n", policy != nullptr ? policy : "unset", others / wall, mapped_libgomp().c_str());
  return x[0].item<float>() == 101 ? 0 : 1;
}
