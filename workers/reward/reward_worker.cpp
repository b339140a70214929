#include "workers/reward/reward_worker.h"

namespace spct::reward {

RewardWorker::RewardWorker(const config::Config& config, const tokenizer::Tokenizer& tokenizer)
    : tokenizer_(tokenizer), reward_(CombinedReward::from_config(config)) {}

protocol::RewardResult RewardWorker::score(const protocol::RewardRequest& request) const {
  const protocol::GeneratedGroup& group = request.group;
  protocol::RewardResult result;
  result.step = group.step;
  result.prompt_id = group.prompt_id;
  result.breakdown.resize(reward_.names().size());
  for (std::size_t f = 0; f < reward_.names().size(); ++f) result.breakdown[f].name = reward_.names()[f];
  for (const protocol::Completion& completion : group.completions) {
    const std::string text = tokenizer_.decode(completion.tokens, /*skip_special=*/true);
    const RewardInput input{request.prompt_text, text, request.answer, static_cast<int64_t>(completion.tokens.size()),
                            completion.finish_reason == protocol::FinishReason::kLength};
    const RewardScores scores = reward_.score(input);
    result.rewards.push_back(scores.total);
    for (std::size_t f = 0; f < scores.per_function.size(); ++f)
      result.breakdown[f].values.push_back(scores.per_function[f]);
  }
  return result;
}

}  // namespace spct::reward
