// Sampling with a temperature and no top-k or top-p filter on the CPU, a few rows at a time: the tensor formula of
// models/sampling.h (logits to float32, divided by the temperature, log_softmax, exp, the exact inverse CDF of
// models/inverse_cdf_cpu.h, log-probs gathered) run on groups of four rows, each group on one thread, instead of
// on the whole [B, V] batch one operation after another.
//
// Why: at batch 64 and a 152k vocabulary every [B, V] float32 temporary is 39 MB, so the formula's six passes
// stream ~230 MB through memory per decode step; a group's [4, V] temporaries (2.4 MB) stay in the core's cache
// from one step of the formula to the next. Bench: bench/models/bench_sampler.cpp.
//
// Same bits as the whole-batch formula: each step is the same ATen kernel applied to fewer rows, and every one of
// them computes a row (log_softmax) or an element (the conversion, the division, exp) independently of the others.
// tests/unit/models/generation_test.cpp checks the tokens and log-probs against the formula written out.
#pragma once

#include <ATen/core/Tensor.h>

#include <vector>

#include "models/sampling.h"

namespace spct::models {

// Whether temperature_sampling_cpu serves these logits and parameters: CPU logits [B, V] with V >= 1, a positive
// temperature, and no filter (top_k 0 or >= V, top_p 1).
bool temperature_sampling_cpu_applies(const at::Tensor& logits, const SamplingParams& params);

// The sampled token of each row for its uniform draw (draws[i] in [0, 1) for row i), with the log-probs of
// SampledTokens. REQUIRES: temperature_sampling_cpu_applies(logits, params), draws.size() == B.
SampledTokens temperature_sampling_cpu(const at::Tensor& logits, const SamplingParams& params,
                                       const std::vector<float>& draws);

}  // namespace spct::models
