#include "orchestrator/train/step_metrics.h"

#include <algorithm>
#include <cmath>

#include "learner/advantages.h"

namespace spct::train {
namespace {

bool is_verifier(const std::string& name) {
  return name == "exact_match" || name == "numeric_match" || name == "math_match";
}

}  // namespace

void StepTally::add(const protocol::GroupSummary& group, const protocol::RewardResult& result) {
  ++groups_;
  if (!result.rewards.empty() && learner::is_zero_variance(result.rewards)) ++zero_std_groups_;
  rewards_.insert(rewards_.end(), result.rewards.begin(), result.rewards.end());
  bool verifier_seen = false;
  const protocol::RewardComponent* grm = nullptr;
  const protocol::RewardComponent* verifier = nullptr;
  for (const protocol::RewardComponent& component : result.breakdown) {
    if (component.name == "grm") grm = &component;
    auto& [sum, count] = function_sums_[component.name];
    for (const double value : component.values) sum += value;
    count += static_cast<int64_t>(component.values.size());
    if (is_verifier(component.name) && !verifier_seen) {
      verifier_seen = true;  // the first verifier listed decides correctness
      verifier = &component;
      for (const double value : component.values) verifier_correct_ += value >= 1.0 ? 1 : 0;
      verifier_count_ += static_cast<int64_t>(component.values.size());
    }
  }
  if (grm != nullptr && verifier != nullptr && grm->values.size() == verifier->values.size()) {
    add_agreement(grm->values, verifier->values);
  }
  for (const protocol::CompletionSummary& completion : group.completions) {
    const auto length = static_cast<double>(completion.tokens);
    tokens_ += length;
    length_max_ = std::max(length_max_, length);
    if (completion.finish_reason == protocol::FinishReason::kLength) ++truncated_;
  }
  version_lag_sum_ += static_cast<double>(group.step - group.policy_version);
  for (const auto& [name, value] : result.metrics) reward_worker_sums_[name] += value;
}

void StepTally::add_agreement(const std::vector<double>& grm, const std::vector<double>& verifier) {
  for (size_t right = 0; right < verifier.size(); ++right) {
    if (verifier[right] < 1.0) continue;
    for (size_t wrong = 0; wrong < verifier.size(); ++wrong) {
      if (verifier[wrong] >= 1.0) continue;
      ++agreement_pairs_;
      agreement_sum_ += grm[right] > grm[wrong] ? 1.0 : grm[right] == grm[wrong] ? 0.5 : 0.0;
    }
  }
}

void StepTally::write_into(Metrics& metrics) const {
  const auto n = static_cast<double>(rewards_.size());
  if (n > 0) {
    double mean = 0;
    for (const double r : rewards_) mean += r;
    mean /= n;
    double variance = 0;
    for (const double r : rewards_) variance += (r - mean) * (r - mean);
    metrics["reward/mean"] = mean;
    metrics["reward/std"] = std::sqrt(variance / n);
    metrics["response/length_mean"] = tokens_ / n;
    metrics["response/length_max"] = length_max_;
    metrics["response/truncation_rate"] = static_cast<double>(truncated_) / n;
  }
  for (const auto& [name, sum_count] : function_sums_) {
    if (sum_count.second > 0)
      metrics["reward/" + name + "/mean"] = sum_count.first / static_cast<double>(sum_count.second);
  }
  if (verifier_count_ > 0) metrics["verifier/accuracy"] = verifier_correct_ / static_cast<double>(verifier_count_);
  if (agreement_pairs_ > 0) {
    metrics["grm/verifier_agreement"] = agreement_sum_ / static_cast<double>(agreement_pairs_);
    metrics["grm/verifier_pairs"] = static_cast<double>(agreement_pairs_);
  }
  if (groups_ > 0) {
    metrics["reward/zero_std_groups"] = static_cast<double>(zero_std_groups_) / static_cast<double>(groups_);
    metrics["policy/version_lag"] = version_lag_sum_ / static_cast<double>(groups_);
  }
  for (const auto& [name, sum] : reward_worker_sums_) metrics[name] = sum;
}

void write_time_metrics(const PhaseTimes& times, double step_seconds, bool async, Metrics& metrics) {
  const double wall = std::max(1e-9, step_seconds);
  metrics["time/generate_s"] = times.generate;
  metrics["time/reward_s"] = times.reward;
  metrics["time/learn_s"] = times.learn;
  metrics["time/sync_s"] = times.sync;
  metrics["time/step_s"] = step_seconds;
  const double sampling = times.generate + times.reward;
  const double learning = times.learn + times.sync;
  const double busy = async ? std::max(sampling, learning) : sampling + learning;
  metrics["time/idle_s"] = std::max(0.0, step_seconds - busy);
  metrics["time/idle_share"] = metrics["time/idle_s"] / wall;
  metrics["time/rollout_idle_share"] = 1.0 - std::min(1.0, times.generate / wall);
  metrics["time/reward_idle_share"] = 1.0 - std::min(1.0, times.reward / wall);
  metrics["time/learner_idle_share"] = 1.0 - std::min(1.0, times.learn / wall);
}

}  // namespace spct::train
