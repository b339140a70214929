// The median of a benchmark's timings (of an even count, the upper of the two middle ones), for the benches that
// time bodies in interleaved rounds on one process.
#pragma once

#include <algorithm>
#include <vector>

namespace spct::bench {

inline double median(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

}  // namespace spct::bench
