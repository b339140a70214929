// Starts the way spct starts (run::configure_openmp_wait first), then runs 100 tiny parallel regions on 2 ATen
// threads with a 5 ms pause after each, and prints one line:
//   <OMP_WAIT_POLICY> <GOMP_SPINCOUNT> <CPU seconds of the threads other than main per wall second> <libgomp>
//   <run::openmp_wait_in_force(), to the end of the line>
// (the two variables as this image sees them, "unset" when absent). A refused SPCT_OPENMP_WAIT prints
// "spct: error: ..." on stderr and exits 2, as spct does.
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

#include "core/error.h"
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
  try {
    spct::run::configure_openmp_wait(argv);
  } catch (const spct::Error& e) {
    std::fprintf(stderr, "spct: error: %s\n", e.what());
    return 2;
  }
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
  const char* spin_count = std::getenv("GOMP_SPINCOUNT");
  std::printf("%s %s %.4f %s %s\n", policy != nullptr ? policy : "unset", spin_count != nullptr ? spin_count : "unset",
              others / wall, mapped_libgomp().c_str(), spct::run::openmp_wait_in_force().c_str());
  return x[0].item<float>() == 101 ? 0 : 1;
}
