#include "workers/reward/grm_reward/grm_reward.h"

#include <chrono>

#include "core/error.h"

namespace spct::reward {
namespace {

// GroupScorer keeps a reference to the sampler, so the check must come before it is built.
grm::CritiqueSampler& checked_sampler(const GrmBackends& backends) {
  if (!backends.sampler) throw UsageError("the grm reward needs a critique sampler (grm.backend)");
  return *backends.sampler;
}

}  // namespace

GrmReward::GrmReward(const config::GrmSection& grm, GrmBackends backends)
    : prompt_(grm::PromptOptions::from_config(grm)),
      backends_(std::move(backends)),
      scorer_(prompt_, grm::ScorerOptions::from_config(grm), checked_sampler(backends_), backends_.rater.get()) {}

GrmGroupReward GrmReward::score(std::string_view query, const std::vector<std::string>& responses,
                                uint64_t seed) const {
  return std::move(score({GrmGroupInput{query, &responses, 0}}, seed).front());
}

std::vector<GrmGroupReward> GrmReward::score(const std::vector<GrmGroupInput>& groups, uint64_t seed) const {
  if (groups.empty()) return {};
  const auto start = std::chrono::steady_clock::now();
  std::vector<grm::GroupInput> inputs;
  inputs.reserve(groups.size());
  for (const GrmGroupInput& group : groups) {
    grm::GroupInput input{group.query, {}, group.id};
    input.responses.reserve(group.responses->size());
    for (const std::string& response : *group.responses) input.responses.emplace_back(response);
    inputs.push_back(std::move(input));
  }

  std::vector<grm::GroupScore> scored;
  Metrics totals_before;
  Metrics totals_after;
  {
    // Calls are serialised, so the backend's totals move by this pass's work alone.
    const std::lock_guard<std::mutex> lock(mutex_);
    if (backends_.totals) totals_before = backends_.totals();
    scored = scorer_.score(inputs, seed);
    if (backends_.totals) totals_after = backends_.totals();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::vector<GrmGroupReward> out(groups.size());
  for (size_t g = 0; g < groups.size(); ++g) {
    // The pass's time and backend totals go to its first group (0 to the others): sums over groups stay exact.
    const double share = g == 0 ? 1.0 : 0.0;
    grm::GroupScore& group = scored[g];
    GrmGroupReward& reward = out[g];
    if (group.ok()) {
      reward.scores = std::move(group.scaled);
    } else {
      reward.scores.assign(groups[g].responses->size(), 0.0);
      reward.vote_error = std::move(group.error);
    }
    reward.metrics.emplace_back("grm/critiques", static_cast<double>(group.critiques.size()));
    reward.metrics.emplace_back("grm/parse_failures", group.parse_failures);
    reward.metrics.emplace_back("grm/vote_failures", reward.vote_error.empty() ? 0.0 : 1.0);
    if (backends_.count_tokens) {
      int64_t tokens = 0;
      for (const grm::CritiqueRecord& critique : group.critiques) tokens += backends_.count_tokens(critique.text);
      reward.metrics.emplace_back("grm/critique_tokens", static_cast<double>(tokens));
    }
    for (const auto& [name, value] : totals_after) {
      reward.metrics.emplace_back(name, (value - totals_before[name]) * share);
    }
    reward.metrics.emplace_back("grm/time_s", seconds * share);
    reward.critiques = std::move(group.critiques);
  }
  return out;
}

}  // namespace spct::reward
