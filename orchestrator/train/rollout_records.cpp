#include "orchestrator/train/rollout_records.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "learner/advantages.h"

namespace spct::train {
namespace {

// The critiques that saw completion `index` (those of its chunk), labelled as the completion appears in each.
std::vector<observe::RolloutCritique> critiques_of(const std::vector<protocol::GrmCritique>& critiques,
                                                   std::size_t index) {
  std::vector<observe::RolloutCritique> out;
  for (const protocol::GrmCritique& critique : critiques) {
    const auto shown = std::find(critique.order.begin(), critique.order.end(), index);
    if (shown == critique.order.end()) continue;
    const auto position = static_cast<std::size_t>(shown - critique.order.begin());
    out.push_back({.chunk = critique.chunk,
                   .sample = critique.sample,
                   .response = static_cast<int64_t>(position) + 1,
                   .score = critique.scores.empty() ? std::nan("") : critique.scores[position],
                   .meta_score = critique.meta_score,
                   .voted = critique.voted,
                   .text = critique.text});
  }
  return out;
}

}  // namespace

std::vector<observe::RolloutRecord> rollout_records(const CollectedBatch& batch, const tokenizer::Tokenizer& tokenizer,
                                                    const config::GrpoSection& grpo) {
  const learner::AdvantageOptions options{.std_normalize = grpo.std_normalize, .eps = grpo.advantage_eps};
  std::vector<observe::RolloutRecord> records;
  for (std::size_t g = 0; g < batch.groups.size(); ++g) {
    const protocol::GeneratedGroup& group = batch.groups[g];
    const protocol::RewardResult& result = batch.results[g];
    const std::string prompt = tokenizer.decode(batch.items[g].prompt_tokens);
    // A non-finite reward has no advantage (the learners would refuse the group); the log still shows it.
    const bool finite =
        std::all_of(result.rewards.begin(), result.rewards.end(), [](double r) { return std::isfinite(r); });
    const std::vector<double> advantages = finite && !result.rewards.empty()
                                               ? learner::group_advantages(result.rewards, options)
                                               : std::vector<double>(result.rewards.size(), std::nan(""));
    for (std::size_t i = 0; i < group.completions.size(); ++i) {
      const protocol::Completion& completion = group.completions[i];
      observe::RolloutRecord record;
      record.step = static_cast<int64_t>(batch.step);
      record.group = static_cast<int64_t>(g);
      record.prompt_id = group.prompt_id;
      record.index = static_cast<int64_t>(i);
      record.policy_version = group.policy_version;
      record.trained = batch.trained[g];
      record.prompt = prompt;
      record.completion = tokenizer.decode(completion.tokens, /*skip_special=*/true);
      record.reward = i < result.rewards.size() ? result.rewards[i] : std::nan("");
      for (const protocol::RewardComponent& component : result.breakdown) {
        record.rewards.emplace_back(component.name, i < component.values.size() ? component.values[i] : std::nan(""));
      }
      record.advantage = i < advantages.size() ? advantages[i] : std::nan("");
      record.length = static_cast<int64_t>(completion.tokens.size());
      record.truncated = completion.finish_reason == protocol::FinishReason::kLength;
      record.logprob_sum = std::accumulate(completion.logprobs.begin(), completion.logprobs.end(), 0.0);
      record.critiques = critiques_of(result.critiques, i);
      for (const protocol::RewardInfo& info : result.info) {
        if (i < info.values.size() && !info.values[i].empty()) record.info.emplace_back(info.name, info.values[i]);
      }
      records.push_back(std::move(record));
    }
  }
  return records;
}

}  // namespace spct::train
