// Compiled with OpenMP (models/CMakeLists.txt): at::parallel_for's regions are OpenMP pragmas in ATen's headers,
// so without it the rows would run on one thread.
#include "models/inverse_cdf_cpu.h"

#include <ATen/Parallel.h>
#include <ATen/ops/empty.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

namespace spct::models {
namespace {

constexpr int64_t kBlock = 64;  // candidates per block of the first pass's running sums
constexpr int kChains = 4;      // rows summed side by side

// The candidate of one row, given the running sum before each of its blocks and its total.
int64_t pick(const float* r, int64_t c, const std::vector<double>& block_start, double total, float draw) {
  // u * cdf[last] in float32, as the tensor formula computes it.
  const float target = draw * static_cast<float>(total);
  // The partial sums as float32 never decrease, so the answer lies in the first block whose last partial sum
  // reaches the target (or in the last block: clamped there).
  int64_t block = 0;
  const auto blocks = static_cast<int64_t>(block_start.size());
  while (block + 1 < blocks && static_cast<float>(block_start[static_cast<size_t>(block + 1)]) < target) ++block;
  double acc = block_start[static_cast<size_t>(block)];
  int64_t j = block * kBlock;
  for (; j < c - 1; ++j) {
    acc += r[j];
    if (static_cast<float>(acc) >= target) break;
  }
  return j;
}

}  // namespace

void inverse_cdf_rows(const float* probs, int64_t rows, int64_t c, const float* draws, int64_t* out) {
  std::array<std::vector<double>, kChains> block_start;
  for (std::vector<double>& starts : block_start) starts.resize(static_cast<size_t>((c + kBlock - 1) / kBlock));
  for (int64_t first = 0; first < rows; first += kChains) {
    const int chains = static_cast<int>(std::min<int64_t>(kChains, rows - first));
    // Each row's sum is added in candidate order (the contract); the rows' chains are independent, so the CPU
    // overlaps them.
    std::array<double, kChains> sum{};
    for (int64_t start = 0; start < c; start += kBlock) {
      const int64_t stop = std::min(start + kBlock, c);
      for (int row = 0; row < chains; ++row) block_start[row][static_cast<size_t>(start / kBlock)] = sum[row];
      for (int64_t j = start; j < stop; ++j) {
        for (int row = 0; row < chains; ++row) sum[row] += probs[(first + row) * c + j];
      }
    }
    for (int row = 0; row < chains; ++row) {
      out[first + row] = pick(probs + (first + row) * c, c, block_start[row], sum[row], draws[first + row]);
    }
  }
}

at::Tensor inverse_cdf_cpu(const at::Tensor& probs, const std::vector<float>& draws) {
  const at::Tensor p = probs.contiguous();
  const int64_t b = p.size(0);
  const int64_t c = p.size(1);
  at::Tensor pos = at::empty({b, 1}, at::TensorOptions().dtype(at::kLong));
  const float* data = p.const_data_ptr<float>();
  int64_t* out = pos.data_ptr<int64_t>();
  // Rows in groups of kChains, the groups split over the threads.
  const int64_t groups = (b + kChains - 1) / kChains;
  at::parallel_for(0, groups, 1, [&](int64_t begin, int64_t end) {
    const int64_t first = begin * kChains;
    const int64_t rows = std::min(end * kChains, b) - first;
    inverse_cdf_rows(data + first * c, rows, c, draws.data() + first, out + first);
  });
  return pos;
}

}  // namespace spct::models
