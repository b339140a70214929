#include "workers/reward/rules/combined_reward.h"

#include <algorithm>
#include <utility>

#include "core/error.h"
#include "workers/reward/rules/reward_registry.h"

namespace spct::reward {

CombinedReward::CombinedReward(std::vector<Term> terms) {
  if (terms.empty()) throw UsageError("reward.functions is empty: name at least one reward");
  for (Term& term : terms) {
    if (std::find(names_.begin(), names_.end(), term.name) != names_.end()) {
      throw UsageError("reward.functions lists \"" + term.name + "\" twice");
    }
    names_.push_back(std::move(term.name));
    weights_.push_back(term.weight);
    functions_.push_back(std::move(term.function));
  }
}

CombinedReward CombinedReward::make(const std::vector<std::string>& functions, const std::vector<double>& weights,
                                    const RuleOptions& options) {
  if (!weights.empty() && weights.size() != functions.size()) {
    throw UsageError("reward.weights has " + std::to_string(weights.size()) + " entries but reward.functions has " +
                     std::to_string(functions.size()));
  }
  std::vector<Term> terms;
  for (size_t i = 0; i < functions.size(); ++i) {
    terms.push_back({functions[i], make_rule_reward(functions[i], options), weights.empty() ? 1.0 : weights[i]});
  }
  return CombinedReward(std::move(terms));
}

RewardScores CombinedReward::score(const RewardInput& input) const {
  RewardScores scores;
  scores.per_function.reserve(functions_.size());
  for (size_t i = 0; i < functions_.size(); ++i) {
    const double value = functions_[i]->score(input);
    scores.per_function.push_back(value);
    scores.total += weights_[i] * value;
  }
  return scores;
}

}  // namespace spct::reward
