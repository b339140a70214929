#include "workers/reward/reward_worker.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

#include "core/error.h"
#include "workers/reward/grm/voting.h"
#include "workers/reward/rollout_notes.h"
#include "workers/reward/scalar_rm/scalar_reward.h"

namespace spct::reward {
namespace {

constexpr const char* kGrm = "grm";

bool lists_grm(const RewardWorkerOptions& options) {
  return std::find(options.functions.begin(), options.functions.end(), kGrm) != options.functions.end();
}

// Each function's weight in the total; see the combination rules in the header.
std::vector<double> function_weights(const RewardWorkerOptions& options) {
  const std::vector<std::string>& functions = options.functions;
  if (!options.weights.empty()) {
    if (options.weights.size() != functions.size()) {
      throw UsageError("reward.weights has " + std::to_string(options.weights.size()) +
                       " entries but reward.functions has " + std::to_string(functions.size()));
    }
    return options.weights;
  }
  if (!lists_grm(options)) return std::vector<double>(functions.size(), 1.0);
  const double rule_weight = options.grm.section.rule_weight;
  std::vector<double> weights;
  weights.reserve(functions.size());
  for (const std::string& name : functions) weights.push_back(name == kGrm ? 1.0 - rule_weight : rule_weight);
  return weights;
}

bool is_external(const std::string& entry) {
  return parse_external_spec(entry).has_value();
}

// Breakdown names: an external reward's NAME, every other entry as written.
std::vector<std::string> breakdown_names(const RewardWorkerOptions& options) {
  std::vector<std::string> names;
  for (const std::string& entry : options.functions) {
    const std::optional<ExternalSpec> spec = parse_external_spec(entry);
    names.push_back(spec ? spec->name : entry);
  }
  return names;
}

// The rule functions alone (weights are applied by the worker, over every function).
std::optional<CombinedReward> make_rules(const RewardWorkerOptions& options) {
  std::vector<std::string> functions = options.functions;
  functions.erase(std::remove(functions.begin(), functions.end(), kGrm), functions.end());
  functions.erase(std::remove_if(functions.begin(), functions.end(), is_external), functions.end());
  if (functions.empty()) return std::nullopt;
  return CombinedReward::make(functions, {}, options.rules);
}

std::unique_ptr<const GrmReward> make_grm(const RewardWorkerOptions& options, GrmBackends backends) {
  if (!lists_grm(options)) return nullptr;
  return std::make_unique<const GrmReward>(options.grm.section, std::move(backends));
}

}  // namespace

std::vector<RewardWorker::External> RewardWorker::make_externals(const RewardWorkerOptions& options) {
  std::vector<External> externals;
  const std::vector<std::string>& functions = options.functions;
  for (std::size_t f = 0; f < functions.size(); ++f) {
    if (const std::optional<ExternalSpec> spec = parse_external_spec(functions[f])) {
      // A scalar reward model needs tensors, which the external rewards' library does without.
      externals.push_back({f, spec->options,
                           spec->kind == "scalar" ? std::make_unique<ScalarReward>(spec->target, options.grm.load)
                                                  : make_external_reward(*spec)});
    }
  }
  return externals;
}

RewardWorker::RewardWorker(const RewardWorkerOptions& options, const tokenizer::Tokenizer& tokenizer)
    : RewardWorker(options, tokenizer, lists_grm(options) ? make_grm_backends(options.grm) : GrmBackends{}) {}

RewardWorker::RewardWorker(const RewardWorkerOptions& options, const tokenizer::Tokenizer& tokenizer,
                           GrmBackends grm_backends)
    : tokenizer_(tokenizer),
      names_(breakdown_names(options)),
      weights_(function_weights(options)),
      seed_(options.grm.seed),
      observe_(options.observe),
      rules_(make_rules(options)),
      grm_(make_grm(options, std::move(grm_backends))),
      external_(make_externals(options)) {
  if (names_.empty()) throw UsageError("reward.functions is empty: name at least one reward");
}

protocol::RewardResult RewardWorker::score(const protocol::RewardRequest& request) const {
  return std::move(score_batch({request}).front());
}

std::vector<protocol::RewardResult> RewardWorker::score_batch(
    const std::vector<protocol::RewardRequest>& requests) const {
  std::vector<Pending> pending;
  pending.reserve(requests.size());
  for (const protocol::RewardRequest& request : requests) pending.push_back(decode_and_score_external(request));

  // The GRM scores every group that is still in, in one critique pass. A group's seed depends only on the run,
  // the step and the prompt, so its scores do not depend on which reward worker got it nor on its batch.
  std::vector<GrmGroupReward> grm_scores(requests.size());
  if (grm_) {
    std::vector<GrmGroupInput> inputs;
    std::vector<std::size_t> scored;  // request index of each input
    for (std::size_t i = 0; i < requests.size(); ++i) {
      if (pending[i].dropped || pending[i].texts.empty()) continue;
      const protocol::RewardRequest& request = requests[i];
      inputs.push_back({request.prompt_text, &pending[i].texts, grm::derive_seed(request.step, request.prompt_id)});
      scored.push_back(i);
    }
    std::vector<GrmGroupReward> out = grm_->score(inputs, seed_);
    for (std::size_t k = 0; k < scored.size(); ++k) grm_scores[scored[k]] = std::move(out[k]);
  }

  std::vector<protocol::RewardResult> results;
  results.reserve(requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i) {
    if (!pending[i].dropped) combine(requests[i], grm_scores[i], pending[i]);
    results.push_back(std::move(pending[i].result));
  }
  return results;
}

RewardWorker::Pending RewardWorker::decode_and_score_external(const protocol::RewardRequest& request) const {
  Pending pending;
  protocol::RewardResult& result = pending.result;
  result.step = request.step;
  result.prompt_id = request.prompt_id;
  result.breakdown.resize(names_.size());
  for (std::size_t f = 0; f < names_.size(); ++f) result.breakdown[f].name = names_[f];

  std::vector<std::string>& texts = pending.texts;
  texts.reserve(request.completions.size());
  for (const protocol::ScoredCompletion& completion : request.completions) {
    texts.push_back(tokenizer_.decode(completion.tokens, /*skip_special=*/true));
  }
  // External rewards score the whole group; a group one of them cannot score is dropped (header). They go
  // first, so that a dropped group costs no GRM critique pass.
  std::vector<ExternalScores>& external_scores = pending.external_scores;
  external_scores.resize(names_.size());
  if (!external_.empty()) {
    ExternalGroup external_group{request.prompt_text, &texts, request.answer, request.step, request.prompt_id, {}, {}};
    for (const protocol::ScoredCompletion& completion : request.completions) {
      external_group.completion_tokens.push_back(static_cast<int64_t>(completion.tokens.size()));
      external_group.truncated.push_back(completion.finish_reason == protocol::FinishReason::kLength);
    }
    const int64_t scored = ++groups_scored_;
    std::string failure;  // the last failure of the reward that dropped the group
    for (const External& external : external_) {
      std::optional<ExternalScores> scores = score_external(external, external_group, failure);
      if (!scores) break;
      external_scores[external.index] = std::move(*scores);
    }
    const bool dropped = !failure.empty();
    result.metrics.emplace_back("reward/dropped_groups", dropped ? 1.0 : 0.0);
    if (dropped) {
      const int64_t dropped_groups = ++groups_dropped_;
      double share = 1;  // the strictest of the external rewards' shares
      for (const External& external : external_) share = std::min(share, external.options.max_dropped_share);
      if (static_cast<double>(dropped_groups) > share * static_cast<double>(scored) + 1.0) {
        throw RewardFailure(fmt::format(
            "{} groups of the {} this reward worker scored were dropped, more than max_dropped_share={} of them "
            "plus one: the run stops rather than train on a broken reward (docs/rewards.md). The last failure: {}",
            dropped_groups, scored, share, failure));
      }
      pending.dropped = true;  // no rewards, no breakdown values: not trained on, not averaged
    }
  }

  return pending;
}

void RewardWorker::combine(const protocol::RewardRequest& request, const GrmGroupReward& grm_scores,
                           Pending& pending) const {
  protocol::RewardResult& result = pending.result;
  const std::vector<std::string>& texts = pending.texts;
  const std::vector<ExternalScores>& external_scores = pending.external_scores;
  result.metrics.insert(result.metrics.end(), grm_scores.metrics.begin(), grm_scores.metrics.end());
  if (rollout_logged(observe_, request.step)) {
    result.critiques = critiques_for_log(grm_scores.critiques, observe_.rollout_log_critique_chars);
    for (std::size_t f = 0; f < names_.size() && observe_.rollout_log_info_chars > 0; ++f) {
      if (external_scores[f].info.empty()) continue;
      protocol::RewardInfo& info = result.info.emplace_back();
      info.name = names_[f];
      for (const std::string& text : external_scores[f].info) {
        info.values.push_back(cut_end(text, observe_.rollout_log_info_chars));
      }
    }
  }
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const protocol::ScoredCompletion& completion = request.completions[i];
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
      const double value = !external_scores[f].scores.empty() ? external_scores[f].scores[i]
                           : names_[f] == kGrm                ? grm_scores.scores[i]
                                                              : rule_scores.per_function[next_rule++];
      result.breakdown[f].values.push_back(value);
      total += weights_[f] * value;
    }
    result.rewards.push_back(total);
  }
}

std::optional<ExternalScores> RewardWorker::score_external(const External& external, const ExternalGroup& group,
                                                           std::string& failure_message) const {
  for (int64_t attempt = 0;; ++attempt) {
    try {
      return external.reward->score(group);
    } catch (const RewardFailure& failure) {
      if (attempt >= external.options.retries) {
        failure_message = failure.what();
        spdlog::error("{}; step {} prompt {}: group dropped after {} attempts (reward/dropped_groups)", failure.what(),
                      group.step, group.prompt_id, attempt + 1);
        return std::nullopt;
      }
      const double wait_s = std::min(5.0, 0.2 * std::pow(2.0, static_cast<double>(attempt)));
      spdlog::warn("{}; step {} prompt {}: retrying the group in {:.1f} s ({} of {} retries)", failure.what(),
                   group.step, group.prompt_id, wait_s, attempt + 1, external.options.retries);
      std::this_thread::sleep_for(std::chrono::duration<double>(wait_s));
    }
  }
}

}  // namespace spct::reward
