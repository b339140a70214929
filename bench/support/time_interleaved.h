// Interleaved timing for the MPI benchmarks (bench/comm, bench/weight_sync): alternatives measured in turn, in the
// same rounds, so that they share whatever else the machine is doing and their ratio is fair on a busy machine.
#pragma once

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <vector>

namespace spct::bench {

// Median wall times, in seconds, of `iters` rounds that each run every body once, in turn (after one warm-up
// round), every rank starting each body together (a barrier); each median is the max over ranks. Collective:
// every rank of MPI_COMM_WORLD calls it with the same bodies.
inline std::vector<double> time_interleaved(int iters, const std::vector<std::function<void()>>& bodies) {
  std::vector<std::vector<double>> times(bodies.size());
  for (int i = -1; i < iters; ++i) {
    for (size_t b = 0; b < bodies.size(); ++b) {
      MPI_Barrier(MPI_COMM_WORLD);
      const auto start = std::chrono::steady_clock::now();
      bodies[b]();
      if (i >= 0) times[b].push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
  }
  std::vector<double> medians;
  for (std::vector<double>& t : times) {
    std::sort(t.begin(), t.end());
    medians.push_back(t[t.size() / 2]);
  }
  MPI_Allreduce(MPI_IN_PLACE, medians.data(), static_cast<int>(medians.size()), MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return medians;
}

}  // namespace spct::bench
