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
// reward.overlong_shaping adds DAPO's `overlong` rule as a last function of weight 1 (reward_worker_options.h)
// unless reward.functions lists it.
// GRM metrics (grm/...: see workers/reward/grm_reward/grm_reward.h) go into RewardResult::metrics.
// On the steps the rollout log records, RewardResult::critiques and ::info carry the GRM's critiques and the
// external rewards' info, cut to their bounds (rollout_notes.h).
//
// External rewards (NAME=command:... and NAME=http:..., workers/reward/external/external_reward.h) score the
// whole group and follow its failure policy: a group whose external reward still fails after `retries` further
// attempts (0.2 s x 2^attempt apart, at most 5 s) is dropped: its RewardResult has no rewards and no breakdown
// values (so it is not trained on, nor averaged into reward metrics) and metrics reward/dropped_groups = 1. Once
// more than max_dropped_share of the groups this worker scored, plus one, were dropped, score() throws
// RewardFailure with the count and the last failure: the run fails rather than train on a broken reward.
//
// Batching: score_batch() scores several groups with one GRM critique pass for all of them (the GRM decodes
// their critiques together); each group's GRM seed comes from (run.seed, step, prompt id), so its rewards are
// the same whether it is scored alone or in any batch.
//
// Thread safety: score() may run on several threads at once (GRM passes are serialised inside the GRM reward).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/protocol/messages.h"
#include "models/tokenizer/tokenizer.h"
#include "workers/reward/external/external_reward.h"
#include "workers/reward/grm_reward/grm_reward.h"
#include "workers/reward/reward_worker_options.h"
#include "workers/reward/rules/combined_reward.h"

namespace spct::reward {

class RewardWorker {
 public:
  // `tokenizer` must outlive the worker. When options.functions lists `grm`, loads the GRM (and meta RM) that
  // options.grm names (grm_backends.h). Throws spct::UsageError for an unusable reward config, spct::InputError
  // for a GRM directory that cannot be loaded.
  RewardWorker(const RewardWorkerOptions& options, const tokenizer::Tokenizer& tokenizer);

  // As above with the GRM's backends given (tests use scripted samplers); `grm_backends` is ignored unless
  // options.functions lists `grm`.
  RewardWorker(const RewardWorkerOptions& options, const tokenizer::Tokenizer& tokenizer, GrmBackends grm_backends);

  // The rewards of `request`'s completions, in the group's order.
  protocol::RewardResult score(const protocol::RewardRequest& request) const;

  // The results of several groups, in request order; the same as scoring each alone (see Batching above).
  std::vector<protocol::RewardResult> score_batch(const std::vector<protocol::RewardRequest>& requests) const;

  // Names of the reward functions, in breakdown order (the order of reward.functions; NAME for an external one).
  const std::vector<std::string>& function_names() const { return names_; }

  // The weight of each function in the total, in breakdown order (both combination rules above are a
  // weighted sum: without reward.weights, grm weighs 1 - rule_weight and each rule function rule_weight).
  const std::vector<double>& weights() const { return weights_; }

 private:
  struct External {
    std::size_t index;  // in names_
    ExternalOptions options;
    std::unique_ptr<ExternalReward> reward;
  };
  static std::vector<External> make_externals(const RewardWorkerOptions& options);
  // A group after its external rewards: its decoded completions, the external scores, and whether it was
  // dropped (then `result` is final).
  struct Pending {
    protocol::RewardResult result;
    std::vector<std::string> texts;
    std::vector<ExternalScores> external_scores;  // per function; empty for the others
    bool dropped = false;
  };
  Pending decode_and_score_external(const protocol::RewardRequest& request) const;
  // Fills pending.result with the total and breakdown of every completion.
  void combine(const protocol::RewardRequest& request, const GrmGroupReward& grm_scores, Pending& pending) const;
  // The scores of `external` for `group`, after the policy's retries; std::nullopt when the group is dropped,
  // with the last failure's message in `failure_message`.
  std::optional<ExternalScores> score_external(const External& external, const ExternalGroup& group,
                                               std::string& failure_message) const;

  const tokenizer::Tokenizer& tokenizer_;
  const std::vector<std::string> names_;
  const std::vector<double> weights_;
  const uint64_t seed_;
  const config::ObserveSection observe_;        // which steps the rollout log records, and its bounds
  const std::optional<CombinedReward> rules_;   // the functions other than `grm`; empty when there are none
  const std::unique_ptr<const GrmReward> grm_;  // null unless reward.functions lists `grm`
  const std::vector<External> external_;        // in reward.functions order
  mutable std::atomic<int64_t> groups_scored_{0};
  mutable std::atomic<int64_t> groups_dropped_{0};
};

}  // namespace spct::reward
