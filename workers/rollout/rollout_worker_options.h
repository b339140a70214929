// What a RolloutWorker is told (workers/rollout/rollout_worker.h): the sampling and engine settings it reads,
// in one plain struct whose defaults are those of an empty experiment config. rollout_worker_options() fills
// it from the config; tests may also set fields directly.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace spct::config {
struct Config;
}

namespace spct::rollout {

struct RolloutWorkerOptions {
  uint64_t seed = 1;  // run.seed: completion c of prompt p in step s samples with mix(seed, p, s, c)
  // Sampling (models/sampling.h).
  double temperature = 1.0;       // rollout.temperature; 0 = greedy
  int64_t top_k = 0;              // rollout.top_k; 0 = all tokens
  double top_p = 1.0;             // rollout.top_p; 1 = all tokens
  int64_t max_new_tokens = 8;     // rollout.max_new_tokens
  std::vector<std::string> stop;  // rollout.stop: strings that end a completion (besides the tokenizer's eos)
  // The generation engine (models/generation.h).
  bool share_prefixes = true;    // rollout.share_prefixes: prefill each prompt once, fork it for its group
  int64_t max_sequences = 0;     // rollout.max_sequences: rows decoded together; 0 = no limit
  int64_t kv_budget_tokens = 0;  // rollout.kv_budget_tokens: KV-cache slots over all rows; 0 = no limit
  int64_t kv_block_tokens = 16;  // rollout.kv_block_tokens: the KV cache grows this many slots at a time
};

// The options of a rollout worker of `config`'s run.
RolloutWorkerOptions rollout_worker_options(const config::Config& config);

}  // namespace spct::rollout
