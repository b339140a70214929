// Compiled with OpenMP (models/CMakeLists.txt): at::parallel_for's regions are OpenMP pragmas in ATen's headers,
// so without it the groups would run on one thread. The ATen operations inside a region run on its thread alone
// (ATen does not nest parallel regions).
#include "models/temperature_sampling_cpu.h"

#include <ATen/Parallel.h>
#include <ATen/TensorOperators.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/empty_like.h>
#include <ATen/ops/exp.h>
#include <ATen/ops/log_softmax.h>

#include <algorithm>
#include <cstdint>

#include "models/inverse_cdf_cpu.h"

namespace spct::models {
namespace {

// Rows per group: the inverse CDF sums four rows side by side (models/inverse_cdf_cpu.h), and four rows of a 152k
// vocabulary in float32 (2.4 MB) is about what a core's L2 cache holds.
constexpr int64_t kGroupRows = 4;

// Each row's entry of `table` [rows, V] (contiguous float32) at its token.
void gather_rows(const at::Tensor& table, const int64_t* tokens, int64_t rows, float* out) {
  const float* data = table.const_data_ptr<float>();
  const int64_t v = table.size(1);
  for (int64_t r = 0; r < rows; ++r) out[r] = data[r * v + tokens[r]];
}

}  // namespace

bool temperature_sampling_cpu_applies(const at::Tensor& logits, const SamplingParams& params) {
  return logits.defined() && logits.is_cpu() && logits.dim() == 2 && logits.size(1) >= 1 && params.temperature > 0 &&
         (params.top_k == 0 || params.top_k >= logits.size(1)) && params.top_p >= 1.0;
}

SampledTokens temperature_sampling_cpu(const at::Tensor& logits, const SamplingParams& params,
                                       const std::vector<float>& draws) {
  const int64_t b = logits.size(0);
  const at::TensorOptions floats = at::TensorOptions().dtype(at::kFloat);
  const bool unscaled = params.temperature == 1.0;
  SampledTokens out;
  out.tokens = at::empty({b}, at::TensorOptions().dtype(at::kLong));
  out.sampling_logprobs = at::empty({b}, floats);
  // Unscaled and unfiltered, the distribution sampled from is the model's own: the raw log-probs are the same.
  out.logprobs = unscaled ? out.sampling_logprobs : at::empty({b}, floats);
  int64_t* tokens = out.tokens.mutable_data_ptr<int64_t>();
  float* sampling_logprobs = out.sampling_logprobs.mutable_data_ptr<float>();
  float* logprobs = out.logprobs.mutable_data_ptr<float>();
  const int64_t groups = (b + kGroupRows - 1) / kGroupRows;
  at::parallel_for(0, groups, 1, [&](int64_t begin, int64_t end) {
    for (int64_t group = begin; group < end; ++group) {
      const int64_t first = group * kGroupRows;
      const int64_t rows = std::min(kGroupRows, b - first);
      const at::Tensor group_logits = logits.narrow(0, first, rows);
      const at::Tensor x = group_logits.to(at::kFloat).contiguous();
      const at::Tensor scaled = unscaled ? x : x / params.temperature;
      const at::Tensor filtered = at::log_softmax(scaled, -1);
      // The probabilities into a temporary nothing reads any more (the scaled copy, else the float32 copy), or a
      // fresh one when x is the caller's logits.
      at::Tensor probs = !unscaled ? scaled : x.is_alias_of(group_logits) ? at::empty_like(filtered) : x;
      at::exp_out(probs, filtered);
      inverse_cdf_rows(probs.const_data_ptr<float>(), rows, x.size(1), draws.data() + first, tokens + first);
      gather_rows(filtered, tokens + first, rows, sampling_logprobs + first);
      if (!unscaled) gather_rows(at::log_softmax(x, -1), tokens + first, rows, logprobs + first);
    }
  });
  return out;
}

}  // namespace spct::models
