// The rule-based reward of a run: the functions named in reward.functions, each scored separately and summed
// with reward.weights. Per-function scores are returned alongside the total so that metrics can report each
// reward (mean exact_match, mean format, ...) as well as what the policy was trained on.
//
// Thread safety: immutable after construction; score() may run on several threads at once.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "workers/reward/rules/reward_function.h"
#include "workers/reward/rules/rule_options.h"

namespace spct::reward {

struct RewardScores {
  double total = 0;                  // sum over functions of weight * score
  std::vector<double> per_function;  // unweighted scores, in the order of CombinedReward::names()
};

class CombinedReward {
 public:
  struct Term {
    std::string name;  // as in reward.functions: "exact_match", "numeric_match", "regex", "format", "overlong"
    std::unique_ptr<const RewardFunction> function;
    double weight = 1.0;
  };

  // REQUIRES: at least one term, each with a function; names distinct.
  explicit CombinedReward(std::vector<Term> terms);

  // Builds every function in `functions` (reward.functions) through the registry (reward_registry.h) with
  // `options`, each weighing its entry of `weights` (reward.weights; empty: 1 each). Throws spct::UsageError
  // naming the key when a function is unknown or listed twice, weights do not match functions, a pattern is
  // missing or does not compile (with PCRE2's error offset), or reward.overlong_buffer exceeds
  // rollout.max_new_tokens.
  static CombinedReward make(const std::vector<std::string>& functions, const std::vector<double>& weights,
                             const RuleOptions& options);

  // Scores `input` with every function. Throws what a function throws (spct::InputError for a bad reference).
  RewardScores score(const RewardInput& input) const;

  const std::vector<std::string>& names() const { return names_; }
  const std::vector<double>& weights() const { return weights_; }

 private:
  std::vector<std::string> names_;
  std::vector<double> weights_;
  std::vector<std::unique_ptr<const RewardFunction>> functions_;
};

}  // namespace spct::reward
