// A reward worker's scoring of one generated group: decodes each completion, runs the run's rule-based rewards
// (reward.functions with reward.weights) and returns the combined reward of every completion together with each
// function's unweighted scores, so that metrics can report every reward separately.
//
// Thread safety: immutable after construction; score() may run on several threads at once.
#pragma once

#include <memory>

#include "core/config/config.h"
#include "core/protocol/messages.h"
#include "models/tokenizer/tokenizer.h"
#include "workers/reward/rules/combined_reward.h"

namespace spct::reward {

class RewardWorker {
 public:
  // `tokenizer` must outlive the worker. Throws spct::UsageError for an unusable reward config.
  RewardWorker(const config::Config& config, const tokenizer::Tokenizer& tokenizer);

  // The rewards of `request.group`'s completions, in the group's order.
  protocol::RewardResult score(const protocol::RewardRequest& request) const;

  // Names of the reward functions, in breakdown order.
  const std::vector<std::string>& function_names() const { return reward_.names(); }

 private:
  const tokenizer::Tokenizer& tokenizer_;
  CombinedReward reward_;
};

}  // namespace spct::reward
