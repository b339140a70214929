// Compiled with OpenMP (models/CMakeLists.txt): at::parallel_for's regions are OpenMP pragmas in ATen's headers.
// Without floating-point contraction, so the vector lanes and the scalar remainder round alike.
#include "models/greedy_cpu.h"

#include <ATen/Parallel.h>
#include <ATen/ops/empty.h>
#include <c10/util/BFloat16.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "models/vector_math_cpu.h"

namespace spct::models {
namespace {

using cpu::exp_nonpositive;
using cpu::Floats;
using cpu::Ints;
using cpu::kLanes;
using cpu::kVectors;
using cpu::kWidth;
using cpu::load;
using cpu::widen;

struct RowPick {
  int64_t token;
  float logprob;
};

// Whether any lane of a comparison's mask is set.
[[gnu::always_inline]] inline bool any(Ints mask) {
  uint64_t quarters[4];
  std::memcpy(quarters, &mask, sizeof quarters);
  return (quarters[0] | quarters[1] | quarters[2] | quarters[3]) != 0;
}

template <typename T>
[[gnu::always_inline]] inline RowPick pick_row(const T* row, int64_t v) {
  // Pass 1: the row's maximum, as each lane's running maximum (`x > m ? x : m` is one MAXPS) and whether any
  // element is NaN, two short dependency chains per vector; then the first index that holds it, found by a scan
  // that stops there (from cache, half a row on average).
  const float inf = std::numeric_limits<float>::infinity();
  Floats lane_max[kVectors];
  Ints nan[kVectors];
  for (int k = 0; k < kVectors; ++k) {
    lane_max[k] = Floats{} - inf;
    nan[k] = Ints{};
  }
  const int64_t whole = v - v % kLanes;
  // The lane loops are unrolled so that the lanes' state stays in registers.
  for (int64_t j = 0; j < whole; j += kLanes) {
#pragma GCC unroll 4
    for (int k = 0; k < kVectors; ++k) {
      const Floats x = load(row + j + kWidth * k);
      lane_max[k] = x > lane_max[k] ? x : lane_max[k];
      nan[k] |= x != x;
    }
  }
  float max = -inf;
  bool has_nan = any(nan[0] | nan[1]);
  for (int l = 0; l < kLanes; ++l) max = std::max(max, lane_max[l / kWidth][l % kWidth]);
  for (int64_t j = whole; j < v; ++j) {
    const float x = widen(row[j]);
    has_nan = has_nan || x != x;
    max = std::max(max, x);
  }
  if (has_nan) {
    // at::max's answer for a row with NaN: the first NaN.
    int64_t token = 0;
    while (!std::isnan(widen(row[token]))) ++token;
    return RowPick{token, std::numeric_limits<float>::quiet_NaN()};
  }
  int64_t token = 0;
  const Floats target = Floats{} + max;
  while (token < whole && !any((load(row + token) == target) | (load(row + token + kWidth) == target))) {
    token += kLanes;
  }
  while (widen(row[token]) != max) ++token;  // within the block found, or the remainder
  // Pass 2 (from cache: a row is at most a few hundred kilobytes): sum of exp(x - max) over the same lanes.
  Floats sum[kVectors] = {};
  for (int64_t j = 0; j < whole; j += kLanes) {
#pragma GCC unroll 4
    for (int k = 0; k < kVectors; ++k) sum[k] += exp_nonpositive<Floats>(load(row + j + kWidth * k) - max);
  }
  float lane_sum[kLanes];
  for (int l = 0; l < kLanes; ++l) lane_sum[l] = sum[l / kWidth][l % kWidth];
  for (int64_t j = whole; j < v; ++j) lane_sum[j - whole] += exp_nonpositive<float>(widen(row[j]) - max);
  for (int width = kLanes / 2; width > 0; width /= 2) {
    for (int l = 0; l < width; ++l) lane_sum[l] += lane_sum[l + width];
  }
  // log_softmax at the maximum: max - max - log(sum).
  return RowPick{token, -std::log(lane_sum[0])};
}

// The row loops compiled for AVX2 and for the baseline, the one the CPU runs chosen at load time. Without
// contraction both round every operation alike, so the results are the same bits on either (by construction; the
// tests run whichever the test machine picks).
__attribute__((target_clones("avx2", "default"))) RowPick pick_float_row(const float* row, int64_t v) {
  return pick_row(row, v);
}

__attribute__((target_clones("avx2", "default"))) RowPick pick_bfloat16_row(const uint16_t* row, int64_t v) {
  return pick_row(row, v);
}

template <typename T>
void pick_rows(const T* data, int64_t b, int64_t v, int64_t row_stride, int64_t* tokens, float* logprobs) {
  // A row is ~0.1-1 ms of work: one row per task is fine-grained enough.
  at::parallel_for(0, b, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      RowPick pick;
      if constexpr (std::is_same_v<T, float>) {
        pick = pick_float_row(data + i * row_stride, v);
      } else {
        pick = pick_bfloat16_row(data + i * row_stride, v);
      }
      tokens[i] = pick.token;
      logprobs[i] = pick.logprob;
    }
  });
}

}  // namespace

bool greedy_pick_cpu_applies(const at::Tensor& logits) {
  // Lane indices are int32.
  return logits.defined() && logits.is_cpu() && logits.dim() == 2 && logits.size(1) >= 1 &&
         logits.size(1) <= std::numeric_limits<int32_t>::max() - kLanes && logits.stride(1) == 1 &&
         (logits.scalar_type() == at::kFloat || logits.scalar_type() == at::kBFloat16);
}

GreedyPick greedy_pick_cpu(const at::Tensor& logits) {
  const int64_t b = logits.size(0), v = logits.size(1), stride = logits.stride(0);
  GreedyPick out{at::empty({b}, at::TensorOptions().dtype(at::kLong)),
                 at::empty({b}, at::TensorOptions().dtype(at::kFloat))};
  int64_t* tokens = out.tokens.data_ptr<int64_t>();
  float* logprobs = out.logprobs.data_ptr<float>();
  if (logits.scalar_type() == at::kBFloat16) {
    const auto* data = reinterpret_cast<const uint16_t*>(logits.const_data_ptr<c10::BFloat16>());
    pick_rows(data, b, v, stride, tokens, logprobs);
  } else {
    pick_rows(logits.const_data_ptr<float>(), b, v, stride, tokens, logprobs);
  }
  return out;
}

}  // namespace spct::models
