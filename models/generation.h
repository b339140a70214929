// Batched autoregressive generation with a KV cache.
//
// Layout: prompts of different lengths are LEFT-padded into one [B, P] batch; each row's position ids count
// only its own tokens (0 at its first prompt token), and padding is masked out of attention, so a row's
// tokens and log-probs do not depend on the other rows (up to float rounding of differently shaped matmuls).
// One prefill pass fills the cache; then one token per step for the rows still running. A row finishes on a
// stop token (kept as its last token), on a stop string in its decoded text (the token completing it is
// kept; trimming the text is the caller's), or after max_new_tokens. Finished rows are dropped from the
// batch and the cache, so they stop costing compute.
//
// Randomness: request i draws from its own CPU generator seeded with requests[i].seed, one draw per sampled
// token, so a (prompt, seed) pair reproduces the same completion in any batch and on any device.
//
// Thread safety: generate() is safe to call concurrently on one model (each call owns its cache) as long as
// nobody mutates the model's parameters meanwhile.
#pragma once

#include <cstdint>
#include <vector>

#include "models/sampling.h"
#include "models/transformer.h"

namespace spct::models {

enum class FinishReason { kStopToken, kStopString, kLength };

// "stop_token", "stop_string", "length".
const char* finish_reason_name(FinishReason reason);

struct GenerationRequest {
  std::vector<int64_t> prompt;  // token ids, non-empty
  uint64_t seed = 0;            // seeds this sequence's sampling generator
};

struct Completion {
  std::vector<int64_t> tokens;           // generated ids, prompt excluded
  std::vector<float> sampling_logprobs;  // per token, see SampledTokens::sampling_logprobs (behaviour policy)
  std::vector<float> logprobs;           // per token, see SampledTokens::logprobs (raw model, temperature 1)
  FinishReason finish_reason = FinishReason::kLength;
};

struct GenerationOptions {
  // false recomputes the whole sequence every step instead of using the cache (a reference and a benchmark
  // baseline; the results are the same up to float rounding).
  bool use_cache = true;
};

// One completion per request, in request order. Runs without autograd. Throws spct::InputError for empty
// prompts, token ids outside the vocabulary and invalid sampling parameters.
// REQUIRES: model.head() == Head::kLanguageModel.
std::vector<Completion> generate(const Transformer& model, const std::vector<GenerationRequest>& requests,
                                 const SamplingParams& params, const GenerationOptions& options = {});

// Left-pads token sequences into a batch: ids [B, L] int64 (padding id 0), mask [B, L] bool, position ids
// [B, L] int64 counting each row's own tokens from 0 (padding gets 0). L = the longest sequence.
struct PaddedBatch {
  at::Tensor input_ids;
  at::Tensor attention_mask;
  at::Tensor position_ids;
};
PaddedBatch left_pad(const std::vector<std::vector<int64_t>>& sequences, at::Device device);

}  // namespace spct::models
