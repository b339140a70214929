#include "models/sampling.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/TensorOperators.h>
#include <ATen/ops/cumsum.h>
#include <ATen/ops/empty_like.h>
#include <ATen/ops/exp.h>
#include <ATen/ops/from_blob.h>
#include <ATen/ops/log_softmax.h>
#include <ATen/ops/max.h>
#include <ATen/ops/searchsorted.h>
#include <ATen/ops/softmax.h>
#include <ATen/ops/zeros.h>

#include <cmath>
#include <limits>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "models/greedy_cpu.h"
#include "models/inverse_cdf_cpu.h"
#include "models/temperature_sampling_cpu.h"

namespace spct::models {
namespace {

// One uniform draw in [0, 1) with 53 random bits, straight from the row's generator (no tensor op, so the
// stream advances by exactly one 64-bit value per sampled token whatever the device and batch).
double uniform(at::Generator& gen) {
  std::lock_guard<std::mutex> lock(gen.mutex());
  const uint64_t bits = at::check_generator<at::CPUGeneratorImpl>(gen)->random64();
  return static_cast<double>(bits >> 11) * 0x1.0p-53;
}

// log p(token) of each row of float32 logits x [B, V] at tokens [B]. log_softmax is one fused pass per row (max,
// sum of exponentials, difference); logsumexp runs its max, subtraction, exponentials and sum as separate passes
// over a [B, V] temporary, which took 1.6x as long at batch 64 (a 150k vocabulary: 8.8 vs 5.6 ms).
at::Tensor raw_logprobs(const at::Tensor& x, const at::Tensor& tokens) {
  return at::log_softmax(x, -1).gather(1, tokens.unsqueeze(1)).squeeze(1);
}

}  // namespace

void validate(const SamplingParams& p) {
  const auto fail = [](const std::string& field, const std::string& message) {
    throw InputError("sampling: " + field + ": " + message);
  };
  if (!(p.temperature >= 0) || !std::isfinite(p.temperature)) fail("temperature", "must be >= 0");
  if (p.top_k < 0) fail("top_k", "must be >= 0 (0 = no limit)");
  if (!(p.top_p > 0 && p.top_p <= 1)) fail("top_p", "must be in (0, 1]");
  if (p.max_new_tokens < 1) fail("max_new_tokens", "must be >= 1");
  if (!p.stop_strings.empty() && !p.decode) fail("stop_strings", "need a decode callback");
  for (const std::string& s : p.stop_strings) {
    if (s.empty()) fail("stop_strings", "an empty stop string would stop every sequence at once");
  }
}

SampledTokens sample_next(const at::Tensor& logits, const SamplingParams& params,
                          std::vector<at::Generator>& generators) {
  SampledTokens out;
  if (params.temperature == 0 && greedy_pick_cpu_applies(logits)) {
    // One read of the logits as they are (models/greedy_cpu.h), not three passes over a float32 copy.
    GreedyPick pick = greedy_pick_cpu(logits);
    out.tokens = std::move(pick.tokens);
    out.sampling_logprobs = at::zeros({logits.size(0)}, at::TensorOptions().dtype(at::kFloat));
    out.logprobs = std::move(pick.logprobs);
    return out;
  }
  const int64_t b = logits.size(0);
  std::vector<float> draws;  // one uniform per row for sampling; greedy takes none
  if (params.temperature > 0) {
    draws.resize(static_cast<size_t>(b));
    for (int64_t i = 0; i < b; ++i)
      draws[static_cast<size_t>(i)] = static_cast<float>(uniform(generators[static_cast<size_t>(i)]));
  }
  if (temperature_sampling_cpu_applies(logits, params)) {
    // Unfiltered sampling on the CPU: the formula below, a few rows at a time (models/temperature_sampling_cpu.h).
    return temperature_sampling_cpu(logits, params, draws);
  }
  const at::Tensor x = logits.to(at::kFloat);
  const int64_t v = x.size(1);
  if (params.temperature == 0) {
    // max's indices: the first maximum of each row, as argmax's, in half its time at a 150k vocabulary.
    out.tokens = std::get<1>(x.max(-1));
    out.sampling_logprobs = at::zeros({b}, x.options());
    out.logprobs = raw_logprobs(x, out.tokens);
    return out;
  }
  // At batch 64 and a 128k vocabulary every [B, V] temporary is 32 MiB: this path makes two (the log-softmax
  // and a scratch buffer that becomes the probabilities in place) where a straightforward one makes six or
  // seven, finds the sampled candidate on the CPU without writing a CDF, and reads the raw log-probs off the
  // log-softmax when nothing rescales or filters the logits.
  const bool unscaled = params.temperature == 1.0;
  at::Tensor scratch = unscaled ? at::Tensor() : x / params.temperature;
  const at::Tensor& scaled = unscaled ? x : scratch;
  // Candidates: the top_k in descending order, a full descending sort when only top_p prunes, or the
  // vocabulary as it is when nothing is filtered (inverse-CDF sampling needs no order).
  at::Tensor values, indices;
  if (params.top_k > 0 && params.top_k < v) {
    std::tie(values, indices) = scaled.topk(params.top_k, -1);
  } else if (params.top_p < 1.0) {
    std::tie(values, indices) = scaled.sort(-1, /*descending=*/true);
  } else {
    values = scaled;
  }
  if (params.top_p < 1.0) {
    const at::Tensor probs = at::softmax(values, -1);
    // Drop a candidate once the mass before it already reaches top_p; the first one always stays.
    const at::Tensor drop = (probs.cumsum(-1) - probs) >= params.top_p;
    values = values.masked_fill(drop, -std::numeric_limits<float>::infinity());
  }
  const at::Tensor filtered = at::log_softmax(values, -1);
  // The probabilities, in the scaled logits' buffer once they are consumed (same kernel as exp(), so the same
  // values), else in a fresh one.
  at::Tensor probs = scratch.defined() && !indices.defined() ? scratch : at::empty_like(filtered);
  at::exp_out(probs, filtered);
  at::Tensor pos;
  if (probs.is_cpu()) {
    pos = inverse_cdf_cpu(probs, draws);
  } else {
    // Off the CPU the tensor formula runs where the logits are, without copying them to the host.
    const at::Tensor u = at::from_blob(draws.data(), {b, 1}, at::TensorOptions().dtype(at::kFloat)).to(x.device());
    const at::Tensor cdf = probs.cumsum_(-1);
    // First candidate whose cumulative mass reaches u * total: zero-probability candidates are never chosen.
    const int64_t last = cdf.size(1) - 1;
    pos = at::searchsorted(cdf, u * cdf.narrow(1, last, 1)).clamp_max(last);
  }
  out.tokens = indices.defined() ? indices.gather(1, pos).squeeze(1) : pos.squeeze(1);
  out.sampling_logprobs = filtered.gather(1, pos).squeeze(1);
  if (unscaled && !indices.defined() && params.top_p >= 1.0) {
    out.logprobs = out.sampling_logprobs;  // the filtered distribution is the raw one
  } else {
    out.logprobs = raw_logprobs(x, out.tokens);
  }
  return out;
}

}  // namespace spct::models
