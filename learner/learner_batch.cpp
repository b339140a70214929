#include "learner/learner_batch.h"

#include <map>

#include "core/error.h"

namespace spct::learner {

LearnerBatch make_learner_batch(const std::vector<protocol::PromptItem>& items,
                                const std::vector<protocol::GeneratedGroup>& groups,
                                const std::vector<protocol::RewardResult>& results, int64_t group_size) {
  std::map<uint64_t, const protocol::GeneratedGroup*> group_of;
  for (const protocol::GeneratedGroup& group : groups) group_of[group.prompt_id] = &group;
  std::map<uint64_t, const protocol::RewardResult*> result_of;
  for (const protocol::RewardResult& result : results) result_of[result.prompt_id] = &result;

  LearnerBatch batch;
  batch.group_size = group_size;
  for (const protocol::PromptItem& item : items) {
    const auto group = group_of.find(item.prompt_id);
    const auto result = result_of.find(item.prompt_id);
    const std::string which = "prompt " + std::to_string(item.prompt_id);
    if (group == group_of.end()) throw Error(ExitCode::kFailure, "learner batch: no generated group for " + which);
    if (result == result_of.end()) throw Error(ExitCode::kFailure, "learner batch: no rewards for " + which);
    const auto& completions = group->second->completions;
    const auto& rewards = result->second->rewards;
    if (static_cast<int64_t>(completions.size()) != group_size || static_cast<int64_t>(rewards.size()) != group_size) {
      throw Error(ExitCode::kFailure, "learner batch: " + which + " has " + std::to_string(completions.size()) +
                                          " completions and " + std::to_string(rewards.size()) + " rewards, expected " +
                                          std::to_string(group_size));
    }
    const std::vector<int64_t> prompt(item.prompt_tokens.begin(), item.prompt_tokens.end());
    for (int64_t c = 0; c < group_size; ++c) {
      const protocol::Completion& completion = completions[static_cast<std::size_t>(c)];
      batch.prompts.push_back(prompt);
      batch.completions.emplace_back(completion.tokens.begin(), completion.tokens.end());
      batch.rewards.push_back(rewards[static_cast<std::size_t>(c)]);
      batch.truncated.push_back(completion.finish_reason == protocol::FinishReason::kLength);
      batch.rollout_logprobs.push_back(completion.logprobs);
    }
  }
  return batch;
}

LearnerBatch slice_groups(const LearnerBatch& batch, int64_t first_group, int64_t count) {
  LearnerBatch out;
  out.group_size = batch.group_size;
  const auto begin = static_cast<std::ptrdiff_t>(first_group * batch.group_size);
  const auto end = static_cast<std::ptrdiff_t>((first_group + count) * batch.group_size);
  out.prompts.assign(batch.prompts.begin() + begin, batch.prompts.begin() + end);
  out.completions.assign(batch.completions.begin() + begin, batch.completions.begin() + end);
  out.rewards.assign(batch.rewards.begin() + begin, batch.rewards.begin() + end);
  out.truncated.assign(batch.truncated.begin() + begin, batch.truncated.begin() + end);
  if (!batch.rollout_logprobs.empty()) {
    out.rollout_logprobs.assign(batch.rollout_logprobs.begin() + begin, batch.rollout_logprobs.begin() + end);
  }
  return out;
}

}  // namespace spct::learner
