// Teacher-forced per-token log-probabilities (and entropies) of completions given their prompts: what the
// learner needs for policy ratios, KL penalties and entropy bonuses. Differentiable with respect to the
// model's trainable parameters when autograd is on.
//
// Layout (the same as generation's, so the two agree): prompts LEFT-padded to the longest prompt P, each
// completion right after its prompt, completions right-padded to the longest completion C. Completion token
// j of row i sits in column P + j and is predicted by the logits of column P + j - 1; the language-model head
// runs only on those C columns.
//
// Agreement with generation: for temperature 1, `logprobs` here equals Completion::logprobs of generate() for
// the same tokens within 1e-4 absolute in float32 (different matmul shapes round differently; the KV cache
// path attends over the same keys). tests/unit/models/logprobs_test.cpp checks this bound.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "models/transformer.h"

namespace spct::models {

struct CompletionLogProbs {
  at::Tensor logprobs;  // [B, C] float32: log p(token | prefix) at the given temperature; 0 where masked
  at::Tensor entropy;   // [B, C] float32: entropy (nats) of the full next-token distribution; undefined unless asked
  at::Tensor mask;      // [B, C] bool: true for real completion tokens
};

struct LogProbOptions {
  double temperature = 1.0;   // logits are divided by it first (use the sampling temperature for ratios)
  bool with_entropy = false;  // entropy costs one more pass over [B, C, vocab]
};

// Throws spct::InputError for an empty prompt, mismatched list sizes or token ids outside the vocabulary.
// Empty completions are allowed (their row is all mask-false). REQUIRES: model.head() == Head::kLanguageModel.
CompletionLogProbs completion_logprobs(const Transformer& model, const std::vector<std::vector<int64_t>>& prompts,
                                       const std::vector<std::vector<int64_t>>& completions,
                                       const LogProbOptions& options = {});

}  // namespace spct::models
