// Load time of prompt datasets through spct's own loader (load_prompt_file: Parquet or JSONL by extension, every
// record checked, the file's SHA-256 fingerprint included), the path `spct train` takes at start-up.
// Usage: spct_bench_datasets REPEATS FILE... (bench/data/load_time.sh makes the files and runs it)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "orchestrator/data/prompt_sources.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s REPEATS FILE...\n", argv[0]);
    return 2;
  }
  const int repeats = std::max(1, std::atoi(argv[1]));
  try {
    for (int f = 2; f < argc; ++f) {
      double best = 1e300;  // the fastest of the repeats: the least disturbed by the machine's other load
      uint64_t items = 0;
      for (int r = 0; r < repeats; ++r) {
        const auto start = std::chrono::steady_clock::now();
        items = spct::data::load_prompt_file(argv[f], {})->size();
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      }
      std::printf("%-44s %8llu items %8.3f s %10.0f items/s\n", argv[f], static_cast<unsigned long long>(items), best,
                  static_cast<double>(items) / best);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "spct_bench_datasets: %s\n", e.what());
    return 1;
  }
  return 0;
}
