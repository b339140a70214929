// Teacher-forced per-token log-probabilities (and entropies) of completions given their prompts: what the
// learner needs for policy ratios, KL penalties and entropy bonuses. Differentiable with respect to the
// model's trainable parameters when autograd is on.
//
// Layout (the same as generation's, so the two agree): prompts LEFT-padded to the longest prompt P, each
// completion right after its prompt, completions right-padded to the longest completion C. Completion token
// j of row i sits in column P + j and is predicted by the hidden state of column P + j - 1.
//
// Memory: the language-model head runs only on real completion tokens, `chunk_tokens` of them at a time, and
// each chunk keeps only its log-probs and entropies: the full [tokens x vocab] float32 logits of a batch are
// never materialised (for a 150k vocabulary they are 0.6 MB per token). With autograd, a batch of more than one
// chunk recomputes each chunk's logits in backward (models/recompute.h), one chunk at a time; that costs one
// more pass of the head. One chunk or fewer: plain autograd, which keeps that chunk's logits.
//
// Numerics: logits in float32 whatever the model dtype; one logsumexp per token gives both the log-prob and
// the entropy (H = lse - sum_v p_v z_v), so the vocabulary is swept once for the normaliser and once for H.
//
// Agreement with generation: for temperature 1, `logprobs` here equals Completion::logprobs of generate() for
// the same tokens within 1e-4 absolute in float32 (different matmul shapes round differently; the KV cache
// path attends over the same keys). tests/unit/models/generation_test.cpp checks this bound, and
// tests/unit/models/logprobs_test.cpp that chunking changes neither values nor gradients.
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

// Tokens per chunk of the language-model head when nothing else is configured (model.logprob_chunk_tokens).
inline constexpr int64_t kDefaultLogProbChunkTokens = 1024;

struct LogProbOptions {
  double temperature = 1.0;   // logits are divided by it first (use the sampling temperature for ratios)
  bool with_entropy = false;  // also the per-token entropy (one more sweep over each chunk's logits)
  // With autograd: whether gradients flow through `entropy` (an entropy bonus). false computes it as data,
  // without recording it for backward (the entropy metric alone).
  bool entropy_grad = false;
  int64_t chunk_tokens = kDefaultLogProbChunkTokens;  // REQUIRES: > 0
  // A mixture-of-experts model's router statistics over the real tokens (prompts and completions), as
  // Transformer::hidden_states reports them; nullptr: not wanted.
  MoeStats* moe = nullptr;
  // packed_completion_logprobs only: a row's sequence whose prompt equals the prompt laid out last in that row
  // shares it instead of repeating it (Transformer::packed_hidden_states' prefix_segments), so a group's G
  // completions after one prompt cost its tokens once. Same log-probs, entropies and gradients up to float
  // rounding; MoE statistics then count each shared prompt's tokens once.
  bool share_prompts = false;
};

// Throws spct::InputError for an empty prompt, mismatched list sizes, token ids outside the vocabulary or a
// chunk size < 1. Empty completions are allowed (their row is all mask-false).
// REQUIRES: model.head() == Head::kLanguageModel.
CompletionLogProbs completion_logprobs(const Transformer& model, const std::vector<std::vector<int64_t>>& prompts,
                                       const std::vector<std::vector<int64_t>>& completions,
                                       const LogProbOptions& options = {});

// The same log-probs, entropies and mask (the same [B, C] layout, row i for sequence i) from packed rows:
// packing[r] lists the sequences (indices into prompts / completions) that share model row r, in order; every
// sequence appears exactly once. Each sequence is its prompt then its completion, position ids from 0, behind a
// block-diagonal causal mask (Transformer::packed_hidden_states); rows are as wide as the longest row and padded at
// the end. Values and gradients equal completion_logprobs' up to float rounding (tests/unit/models/
// packed_logprobs_test.cpp), at rows x width input cells instead of B x (P + C). MoE statistics: the real tokens.
// Throws spct::InputError as completion_logprobs does, and when `packing` does not list every sequence once.
CompletionLogProbs packed_completion_logprobs(const Transformer& model,
                                              const std::vector<std::vector<int64_t>>& prompts,
                                              const std::vector<std::vector<int64_t>>& completions,
                                              const std::vector<std::vector<int64_t>>& packing,
                                              const LogProbOptions& options = {});

}  // namespace spct::models
