// A rollout worker's generation of groups: for every prompt of a batch, rollout.group_size completions sampled
// from the worker's copy of the policy with a KV cache, each with its behaviour log-probs and finish reason.
//
// Engine (models/generation.h): each prompt is prefilled once and its KV cache forked for the group's samples;
// sequences decode by continuous batching under rollout.max_sequences and rollout.kv_budget_tokens.
//
// Randomness: completion c of prompt p in step s is sampled with the seed mix(run.seed, p, s, c), so a run is
// reproducible whatever the number of rollout workers, however the work queue split the prompts and whatever
// the engine's schedule (batch size, budget, pre-emptions).
//
// Thread safety: generate() only reads the policy; weights are swapped by the owner between calls
// (distributed/weight_sync.h), never during one, so a group never mixes policy versions.
#pragma once

#include <cstdint>
#include <vector>

#include "core/protocol/messages.h"
#include "models/generation.h"
#include "models/sampling.h"
#include "models/tokenizer/tokenizer.h"
#include "models/transformer.h"
#include "workers/rollout/rollout_worker_options.h"

namespace spct::rollout {

class RolloutWorker {
 public:
  // `tokenizer` (used to find stop strings) and `policy` must outlive the worker. `options` usually comes from
  // rollout_worker_options(config).
  RolloutWorker(const RolloutWorkerOptions& options, const tokenizer::Tokenizer& tokenizer,
                const models::Transformer& policy);

  // One group per item, in item order, stamped with `batch.step` and `policy_version`.
  std::vector<protocol::GeneratedGroup> generate(const protocol::PromptBatch& batch, uint64_t policy_version) const;

 private:
  const models::Transformer& policy_;
  const uint64_t seed_;
  models::SamplingParams sampling_;
  models::GenerationOptions engine_;
};

}  // namespace spct::rollout
