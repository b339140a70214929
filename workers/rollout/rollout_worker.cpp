#include "workers/rollout/rollout_worker.h"

#include "models/generation.h"
#include "orchestrator/data/deterministic_random.h"

namespace spct::rollout {

RolloutWorker::RolloutWorker(const RolloutWorkerOptions& options, const tokenizer::Tokenizer& tokenizer,
                             const models::Transformer& policy)
    : policy_(policy), seed_(options.seed) {
  engine_.share_prefixes = options.share_prefixes;
  engine_.max_sequences = options.max_sequences;
  engine_.kv_budget_tokens = options.kv_budget_tokens;
  engine_.kv_block_tokens = options.kv_block_tokens;
  sampling_.temperature = options.temperature;
  sampling_.top_k = options.top_k;
  sampling_.top_p = options.top_p;
  sampling_.max_new_tokens = options.max_new_tokens;
  sampling_.stop_token_ids = {tokenizer.eos_id()};
  sampling_.stop_strings = options.stop;
  if (!sampling_.stop_strings.empty()) {
    sampling_.decode = [&tokenizer](const std::vector<int64_t>& ids) {
      const std::vector<int32_t> narrow(ids.begin(), ids.end());
      return tokenizer.decode(narrow, /*skip_special=*/true);
    };
  }
  models::validate(sampling_);
}

std::vector<protocol::GeneratedGroup> RolloutWorker::generate(const protocol::PromptBatch& batch,
                                                              uint64_t policy_version) const {
  // Every completion of every prompt in one generate() call: each prompt is prefilled once and forked for its
  // group (prefix sharing); rows join and leave under rollout.max_sequences / kv_budget_tokens.
  std::vector<models::GenerationRequest> requests;
  for (const protocol::PromptItem& item : batch.items) {
    const std::vector<int64_t> prompt(item.prompt_tokens.begin(), item.prompt_tokens.end());
    for (uint32_t c = 0; c < item.group_size; ++c) {
      requests.push_back({prompt, data::mix_keys(seed_, data::mix_keys(item.prompt_id, batch.step), c)});
    }
  }
  const std::vector<models::Completion> completions = models::generate(policy_, requests, sampling_, engine_);

  std::vector<protocol::GeneratedGroup> groups;
  std::size_t next = 0;
  for (const protocol::PromptItem& item : batch.items) {
    protocol::GeneratedGroup group;
    group.step = batch.step;
    group.prompt_id = item.prompt_id;
    group.policy_version = policy_version;
    for (uint32_t c = 0; c < item.group_size; ++c, ++next) {
      const models::Completion& generated = completions[next];
      protocol::Completion completion;
      completion.tokens.assign(generated.tokens.begin(), generated.tokens.end());
      completion.logprobs = generated.sampling_logprobs;
      completion.finish_reason = generated.finish_reason == models::FinishReason::kLength
                                     ? protocol::FinishReason::kLength
                                     : protocol::FinishReason::kStop;
      group.completions.push_back(std::move(completion));
    }
    groups.push_back(std::move(group));
  }
  return groups;
}

}  // namespace spct::rollout
