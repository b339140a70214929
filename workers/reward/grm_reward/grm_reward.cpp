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
  const auto start = std::chrono::steady_clock::now();
  grm::GroupInput input{query, {}};
  input.responses.reserve(responses.size());
  for (const std::string& response : responses) input.responses.emplace_back(response);

  grm::GroupScore group;
  Metrics totals_before;
  Metrics totals_after;
  {
    // Calls are serialised, so the backend's totals move by this group's work alone.
    const std::lock_guard<std::mutex> lock(mutex_);
    if (backends_.totals) totals_before = backends_.totals();
    group = std::move(scorer_.score({input}, seed).front());
    if (backends_.totals) totals_after = backends_.totals();
  }

  GrmGroupReward out;
  if (group.ok()) {
    out.scores = std::move(group.scaled);
  } else {
    out.scores.assign(responses.size(), 0.0);
    out.vote_error = std::move(group.error);
  }
  out.metrics.emplace_back("grm/critiques", static_cast<double>(group.critiques.size()));
  out.metrics.emplace_back("grm/parse_failures", group.parse_failures);
  out.metrics.emplace_back("grm/vote_failures", out.vote_error.empty() ? 0.0 : 1.0);
  if (backends_.count_tokens) {
    int64_t tokens = 0;
    for (const grm::CritiqueRecord& critique : group.critiques) tokens += backends_.count_tokens(critique.text);
    out.metrics.emplace_back("grm/critique_tokens", static_cast<double>(tokens));
  }
  for (const auto& [name, value] : totals_after) out.metrics.emplace_back(name, value - totals_before[name]);
  out.metrics.emplace_back("grm/time_s",
                           std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return out;
}

}  // namespace spct::reward
