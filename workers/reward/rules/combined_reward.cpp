#include "workers/reward/rules/combined_reward.h"

#include <algorithm>
#include <utility>

#include "core/error.h"
#include "workers/reward/rules/answer_extraction.h"
#include "workers/reward/rules/exact_match.h"
#include "workers/reward/rules/grm_correct.h"
#include "workers/reward/rules/math_match.h"
#include "workers/reward/rules/numeric_match.h"
#include "workers/reward/rules/overlong_penalty.h"
#include "workers/reward/rules/pattern_rewards.h"

namespace spct::reward {

namespace {

std::unique_ptr<const RewardFunction> make_function(const std::string& name, const config::Config& config) {
  const config::RewardSection& r = config.reward;
  if (name == "exact_match") {
    return std::make_unique<ExactMatch>(parse_answer_format(r.answer_format), config.rollout.stop,
                                        NormalizeOptions{r.case_sensitive, r.normalize_whitespace});
  }
  if (name == "numeric_match") {
    return std::make_unique<NumericMatch>(parse_answer_format(r.answer_format), config.rollout.stop,
                                          NumericTolerance{r.numeric_rel_tolerance, r.numeric_abs_tolerance});
  }
  if (name == "math_match") {
    return std::make_unique<MathMatch>(parse_answer_format(r.answer_format), config.rollout.stop,
                                       MathTolerance{r.numeric_rel_tolerance, r.numeric_abs_tolerance});
  }
  if (name == "regex") return std::make_unique<RegexReward>(r.regex, "reward.regex");
  if (name == "format") return std::make_unique<FormatReward>(r.format_pattern, "reward.format_pattern");
  if (name == "overlong") return std::make_unique<OverlongPenalty>(config.rollout.max_new_tokens, r.overlong_buffer);
  const auto grm_min = static_cast<int>(config.grm.score_min), grm_max = static_cast<int>(config.grm.score_max);
  if (name == "grm_correct") return std::make_unique<GrmCorrect>(grm_min, grm_max);
  if (name == "grm_parsed") return std::make_unique<GrmParsed>(grm_min, grm_max);
  throw UsageError(
      "reward.functions: unknown reward function \"" + name +
      "\" (choose exact_match, numeric_match, math_match, regex, format, overlong, grm_correct or grm_parsed)");
}

}  // namespace

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

CombinedReward CombinedReward::from_config(const config::Config& config) {
  const config::RewardSection& r = config.reward;
  if (!r.weights.empty() && r.weights.size() != r.functions.size()) {
    throw UsageError("reward.weights has " + std::to_string(r.weights.size()) + " entries but reward.functions has " +
                     std::to_string(r.functions.size()));
  }
  std::vector<Term> terms;
  for (size_t i = 0; i < r.functions.size(); ++i) {
    terms.push_back({r.functions[i], make_function(r.functions[i], config), r.weights.empty() ? 1.0 : r.weights[i]});
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
