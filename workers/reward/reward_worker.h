// A reward worker's scoring of one generated group: decodes each completion, runs the run's reward functions
// (reward.functions: rule-based rewards, and `grm`, the generative reward model) and returns the combined
// reward of every completion together with each function's unweighted scores, so that metrics can report every
// reward separately.
//
// How `grm` combines with the rule functions (one rule each way, checked up front by core/config/checks.cpp):
//   - reward.weights given: a plain weighted sum over every function, `grm` contributing its voted score
//     scaled to [0, 1] (grm.rule_weight must then stay 0);
//   - reward.weights empty: (1 - grm.rule_weight) x grm + grm.rule_weight x (sum of the rule functions). With
//     the default rule_weight 0 the policy trains on the GRM alone, and rule functions listed next to `grm`
//     (exact_match, say) are still scored and reported in the breakdown: a verifier watching the GRM.
// GRM metrics (grm/...: see workers/reward/grm_reward/grm_reward.h) go into RewardResult::metrics.
//
// Thread safety: score() may run on several threads at once (GRM passes are serialised inside the GRM reward).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/protocol/messages.h"
#include "models/tokenizer/tokenizer.h"
#include "workers/reward/grm_reward/grm_reward.h"
#include "workers/reward/rules/combined_reward.h"

namespace spct::reward {

class RewardWorker {
 public:
  // `tokenizer` must outlive the worker. When reward.functions lists `grm`, loads the GRM (and meta RM) the
  // config names (grm_backends.h). Throws spct::UsageError for an unusable reward config, spct::InputError for
  // a GRM directory that cannot be loaded.
  RewardWorker(const config::Config& config, const tokenizer::Tokenizer& tokenizer);

  // As above with the GRM's backends given (tests use scripted samplers); `grm_backends` is ignored unless
  // reward.functions lists `grm`.
  RewardWorker(const config::Config& config, const tokenizer::Tokenizer& tokenizer, GrmBackends grm_backends);

  // The rewards of `request.group`'s completions, in the group's order.
  protocol::RewardResult score(const protocol::RewardRequest& request) const;

  // Names of the reward functions, in breakdown order (the order of reward.functions).
  const std::vector<std::string>& function_names() const { return names_; }

  // The weight of each function in the total, in breakdown order (both combination rules above are a
  // weighted sum: without reward.weights, grm weighs 1 - rule_weight and each rule function rule_weight).
  const std::vector<double>& weights() const { return weights_; }

 private:
  const tokenizer::Tokenizer& tokenizer_;
  const std::vector<std::string> names_;
  const std::vector<double> weights_;
  const uint64_t seed_;
  const std::optional<CombinedReward> rules_;   // the functions other than `grm`; empty when there are none
  const std::unique_ptr<const GrmReward> grm_;  // null unless reward.functions lists `grm`
};

}  // namespace spct::reward
