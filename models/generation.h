// Batched autoregressive generation with a KV cache.
//
// Layout: prompts of different lengths are LEFT-padded into one [B, P] batch; each row's position ids count
// only its own tokens (0 at its first prompt token), and padding is masked out of attention, so a row's
// tokens and log-probs do not depend on the other rows (up to float rounding of differently shaped matmuls).
// A row finishes on a stop token (kept as its last token), on a stop string in its decoded text (the token
// completing it is kept; trimming the text is the caller's), or after max_new_tokens.
//
// Scheduling (continuous batching): requests wait in order; each step admits waiting requests while the batch
// has fewer than max_sequences rows and the KV cache fits kv_budget_tokens, prefills the admitted ones in one
// pass and merges them into the running batch (kv_cache.h: append_rows), samples one token for every row,
// drops finished rows (their room goes to the next waiting requests) and decodes one step. The cache is
// counted as rows x capacity, capacity growing kv_block_tokens at a time, so memory follows the tokens held,
// not max_new_tokens of every row. When the next step would exceed the budget, the most recently admitted row
// is pre-empted: its cache row is freed, it keeps its tokens and its generator, and it waits at the head of the
// queue; on re-admission its prompt plus tokens so far are prefilled again (recompute) and it goes on where it
// stopped. A single row is always allowed to run, so a budget below one sequence still makes progress.
//
// Prefix sharing: requests admitted together with the same context (the G samples of one prompt, the
// repeated samples of rejective fine-tuning, the k critiques of one GRM prompt) are prefilled once and the
// cache row is forked (kv_cache.h: keep_rows with repeated rows).
//
// Randomness: request i draws from its own CPU generator seeded with requests[i].seed, one draw per sampled
// token, and a pre-empted request keeps its generator, so a (prompt, seed) pair reproduces the same completion
// in any batch, under any budget and on any device (up to float rounding of differently shaped batches, which
// may flip a near-tie in rare cases).
//
// Thread safety: generate() is safe to call concurrently on one model (each call owns its cache) as long as
// nobody mutates the model's parameters meanwhile.
#pragma once

#include <cstdint>
#include <functional>
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

// What a generate() call did (for tests, metrics and benchmarks).
struct GenerationStats {
  int64_t prefill_tokens = 0;  // context tokens run through prefill, shared prefixes counted once
  int64_t decode_steps = 0;    // one-token forward passes
  int64_t admissions = 0;      // prefill passes (each admits one or more rows)
  int64_t preemptions = 0;     // rows evicted to stay within kv_budget_tokens
  int64_t peak_kv_tokens = 0;  // largest rows x capacity of the cache
  int64_t peak_sequences = 0;  // most rows decoded together
};

struct GenerationOptions {
  // false recomputes the whole sequence every step instead of using the cache (a reference and a benchmark
  // baseline; the results are the same up to float rounding).
  bool use_cache = true;
  // Prefill each distinct context once and fork its cache row for the requests that share it.
  bool share_prefixes = true;
  // Most rows decoded together; 0 = no limit.
  int64_t max_sequences = 0;
  // KV-cache budget in token slots summed over rows (rows x capacity); 0 = no limit.
  int64_t kv_budget_tokens = 0;
  // Capacity grows in blocks of this many token slots (> 0).
  int64_t kv_block_tokens = 16;
  // Called after every prefill pass and every decode step with the call's statistics so far (progress reports;
  // the benchmarks' per-phase timers). Not called by the use_cache = false reference path.
  std::function<void(const GenerationStats&)> on_step = {};
};

// One completion per request, in request order. Runs without autograd. Throws spct::InputError for empty
// prompts, token ids outside the vocabulary and invalid sampling parameters.
// REQUIRES: model.head() == Head::kLanguageModel.
// Throws spct::InputError for max_sequences or kv_budget_tokens < 0 or kv_block_tokens < 1. `stats`, when
// given, is overwritten.
std::vector<Completion> generate(const Transformer& model, const std::vector<GenerationRequest>& requests,
                                 const SamplingParams& params, const GenerationOptions& options = {},
                                 GenerationStats* stats = nullptr);

// Left-pads token sequences into a batch: ids [B, L] int64 (padding id 0), mask [B, L] bool, position ids
// [B, L] int64 counting each row's own tokens from 0 (padding gets 0). L = the longest sequence.
struct PaddedBatch {
  at::Tensor input_ids;
  at::Tensor attention_mask;
  at::Tensor position_ids;
};
PaddedBatch left_pad(const std::vector<std::vector<int64_t>>& sequences, at::Device device);

}  // namespace spct::models
