// The orchestrator's figures of one step, from every group it generated and scored (docs/metrics.md):
//   reward/mean, reward/std            over all completions (population std)
//   reward/<function>/mean             each rule reward, unweighted
//   reward/zero_std_groups             fraction of groups whose rewards are all equal
//   verifier/accuracy                  fraction of completions the verifier (exact_match, numeric_match or
//                                      math_match, the first listed) scored 1; absent without one
//   response/length_mean, length_max   completion tokens
//   response/truncation_rate           fraction of completions cut at rollout.max_new_tokens
//   policy/version_lag                 mean (step - policy version) of the groups: 0 when on-policy
//   grm/verifier_agreement             with `grm` and a verifier both in reward.functions: over the pairs of
//                                      completions of one group that the verifier splits (one right, one
//                                      wrong), the fraction the GRM ranks the right one higher (a tie counts
//                                      1/2); absent when no group has such a pair. The GRM's accuracy on the
//                                      policy's own current samples, every step at no extra cost: a policy that
//                                      learns to exploit the GRM shows as this falling (reward hacking).
//   grm/verifier_pairs                 those pairs
//   <name> of RewardResult::metrics    summed over the step's groups (the GRM reward's grm/* counts and times)
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/metrics.h"
#include "core/protocol/messages.h"
#include "orchestrator/train/step_backend.h"

namespace spct::train {

class StepTally {
 public:
  StepTally() = default;

  // REQUIRES: result scores group (same prompt id, one reward per completion). The figures need no tokens, so a
  // group that stays with its rollout worker counts by its summary.
  void add(const protocol::GroupSummary& group, const protocol::RewardResult& result);
  void add(const protocol::GeneratedGroup& group, const protocol::RewardResult& result) {
    add(protocol::summary_of(group), result);
  }

  // Adds the figures above to `metrics`.
  void write_into(Metrics& metrics) const;

  double generated_tokens() const { return tokens_; }

 private:
  std::vector<double> rewards_;
  std::map<std::string, std::pair<double, int64_t>> function_sums_;  // name -> (sum, count)
  double verifier_correct_ = 0;
  int64_t verifier_count_ = 0;
  double agreement_sum_ = 0;  // GRM-verifier agreement over split pairs (see above)
  int64_t agreement_pairs_ = 0;
  int64_t groups_ = 0;
  int64_t zero_std_groups_ = 0;
  double tokens_ = 0;
  double length_max_ = 0;
  int64_t truncated_ = 0;
  double version_lag_sum_ = 0;
  std::map<std::string, double> reward_worker_sums_;  // RewardResult::metrics, summed

  // Adds the pairs of one group that the verifier splits (values >= 1 are right) to the agreement figure.
  void add_agreement(const std::vector<double>& grm, const std::vector<double>& verifier);
};

// Adds the step's time figures to `metrics` (docs/metrics.md): time/<phase>_s, time/step_s, time/idle_s (the
// step's wall time outside its phases: the orchestrator's own work; in asynchronous mode generation and scoring
// overlap the update, so only the longer of the two counts), time/idle_share, and each role's idle share (1 -
// its phase time / step time; the learners' phase is their update).
void write_time_metrics(const PhaseTimes& times, double step_seconds, bool async, Metrics& metrics);

}  // namespace spct::train
