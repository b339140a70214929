#include "workers/reward/reward_worker.h"

#include <algorithm>

#include "core/error.h"
#include "workers/reward/grm/voting.h"

namespace spct::reward {
namespace {

constexpr const char* kGrm = "grm";

bool lists_grm(const config::Config& config) {
  const auto& functions = config.reward.functions;
  return std::find(functions.begin(), functions.end(), kGrm) != functions.end();
}

// Each function's weight in the total; see the combination rules in the header.
std::vector<double> function_weights(const config::Config& config) {
  const config::RewardSection& r = config.reward;
  if (!r.weights.empty()) {
    if (r.weights.size() != r.functions.size()) {
      throw UsageError("reward.weights has " + std::to_string(r.weights.size()) + " entries but reward.functions has " +
                       std::to_string(r.functions.size()));
    }
    return r.weights;
  }
  if (!lists_grm(config)) return std::vector<double>(r.functions.size(), 1.0);
  std::vector<double> weights;
  for (const std::string& name : r.functions) {
    weights.push_back(name == kGrm ? 1.0 - config.grm.rule_weight : config.grm.rule_weight);
  }
  return weights;
}

// The rule functions alone (weights are applied by the worker, over every function).
std::optional<CombinedReward> make_rules(const config::Config& config) {
  config::Config rules_only = config;
  rules_only.reward.weights.clear();
  auto& functions = rules_only.reward.functions;
  functions.erase(std::remove(functions.begin(), functions.end(), kGrm), functions.end());
  if (functions.empty()) return std::nullopt;
  return CombinedReward::from_config(rules_only);
}

std::unique_ptr<const GrmReward> make_grm(const config::Config& config, GrmBackends backends) {
  if (!lists_grm(config)) return nullptr;
  return std::make_unique<const GrmReward>(config.grm, std::move(backends));
}

}  // namespace

RewardWorker::RewardWorker(const config::Config& config, const tokenizer::Tokenizer& tokenizer)
    : RewardWorker(config, tokenizer, lists_grm(config) ? make_grm_backends(config) : GrmBackends{}) {}

RewardWorker::RewardWorker(const config::Config& config, const tokenizer::Tokenizer& tokenizer,
                           GrmBackends grm_backends)
    : tokenizer_(tokenizer),
      names_(config.reward.functions),
      weights_(function_weights(config)),
      seed_(static_cast<uint64_t>(config.run.seed)),
      rules_(make_rules(config)),
      grm_(make_grm(config, std::move(grm_backends))) {
  if (names_.empty()) throw UsageError("reward.functions is empty: name at least one reward");
}

protocol::RewardResult RewardWorker::score(const protocol::RewardRequest& request) const {
  const protocol::GeneratedGroup& group = request.group;
  protocol::RewardResult result;
  result.step = group.step;
  result.prompt_id = group.prompt_id;
  result.breakdown.resize(names_.size());
  for (std::size_t f = 0; f < names_.size(); ++f) result.breakdown[f].name = names_[f];

  std::vector<std::string> texts;
  texts.reserve(group.completions.size());
  for (const protocol::Completion& completion : group.completions) {
    texts.push_back(tokenizer_.decode(completion.tokens, /*skip_special=*/true));
  }

  // The GRM scores the whole group in one critique pass. The seed depends only on the run, the step and the
  // prompt, so the scores do not depend on which reward worker got the group.
  GrmGroupReward grm_scores;
  if (grm_ && !texts.empty()) {
    grm_scores =
        grm_->score(request.prompt_text, texts, grm::derive_seed(grm::derive_seed(seed_, group.step), group.prompt_id));
    result.metrics = std::move(grm_scores.metrics);
  }

  for (std::size_t i = 0; i < texts.size(); ++i) {
    const protocol::Completion& completion = group.completions[i];
    RewardScores rule_scores;
    if (rules_) {
      const RewardInput input{request.prompt_text, texts[i], request.answer,
                              static_cast<int64_t>(completion.tokens.size()),
                              completion.finish_reason == protocol::FinishReason::kLength};
      rule_scores = rules_->score(input);
    }
    double total = 0;
    std::size_t next_rule = 0;  // rules_ scores its functions in reward.functions order, `grm` left out
    for (std::size_t f = 0; f < names_.size(); ++f) {
      const double value = names_[f] == kGrm ? grm_scores.scores[i] : rule_scores.per_function[next_rule++];
      result.breakdown[f].values.push_back(value);
      total += weights_[f] * value;
    }
    result.rewards.push_back(total);
  }
  return result;
}

}  // namespace spct::reward
