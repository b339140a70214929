// The `grm` reward function of reward workers: a generative reward model scores a whole group of policy
// completions in one critique pass, and each completion's voted score becomes its reward.
//
// For one group (a query and its n responses) GrmReward runs GroupScorer (workers/reward/grm/group_scorer.h):
// grm.samples critiques per chunk of at most grm.max_responses_per_pass responses, each with the responses in
// its own seeded shuffle, all sampled in one CritiqueSampler::generate() call at grm.temperature; parse
// failures follow grm.parse_fallback; voting@k sums the scores, or, with a meta RM, only the grm.meta_samples
// critiques it rates highest vote. The reward of response i is its voted total as a mean score scaled to
// [0, 1] (voting.h: scaled_score), so rewards from voting@k and meta-RM voting, and from groups of any size,
// are on one scale. A group whose vote fails (fallback "fail" with an unparsable voter, or "skip" with no
// parsable voter) gets 0 for every response: no GRM signal, and GRPO then sees no GRM advantage in it.
//
// Several groups are scored in one critique pass (one CritiqueSampler call, so a model-driven GRM decodes the
// critiques of all of them together). Each group's shuffles and critique seeds come from its own id
// (GroupScorer), so a group's scores do not depend on the groups it was batched with.
//
// Metrics of one group (summed over groups by the orchestrator; docs/metrics.md); the time and the backend's
// totals of a pass over several groups are reported by its first group (the others report 0), so the sums are
// exact:
//   grm/critiques        critiques sampled
//   grm/parse_failures   critiques whose scores did not parse (voters or not)
//   grm/vote_failures    1 when the group's vote failed, else 0
//   grm/critique_tokens  tokens of all critiques, counted with the GRM's tokenizer (omitted without a counter)
//   grm/time_s           seconds of the critique pass (sampling, meta RM, parse and vote)
//
// Ownership: GrmReward owns its backends. Thread safety: score() may be called from several threads; calls are
// serialised, because samplers and raters (a model with its caches, an HTTP client) need not be thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/config/config.h"
#include "workers/reward/grm/group_scorer.h"
#include "workers/reward/grm/prompt_template.h"
#include "workers/reward/grm_reward/grm_backends.h"

namespace spct::reward {

struct GrmGroupReward {
  std::vector<double> scores;  // per response, in group order, in [0, 1]; all 0 when the vote failed
  std::string vote_error;      // why the vote failed; empty when it did not
  std::vector<std::pair<std::string, double>> metrics;
  std::vector<grm::CritiqueRecord> critiques;  // every critique sampled for the group (for the rollout log)
};

// One group to score: `query` and `responses` must outlive the score() call.
struct GrmGroupInput {
  std::string_view query;
  const std::vector<std::string>* responses = nullptr;  // non-empty
  uint64_t id = 0;                                      // seeds the group (GroupInput::id)
};

class GrmReward {
 public:
  // Throws spct::UsageError for an unusable grm section (no principles, score_min >= score_max, ...) or when
  // `backends` has no sampler.
  GrmReward(const config::GrmSection& grm, GrmBackends backends);

  GrmReward(const GrmReward&) = delete;
  GrmReward& operator=(const GrmReward&) = delete;

  // Scores `responses` (one group) for `query`. `seed` fixes the response shuffles; the reward worker derives
  // it from (run.seed, step, prompt id) so any worker scoring the group sees the same prompts.
  // REQUIRES: !responses.empty(). Throws what the backends throw (spct::Error, e.g. a remote GRM timing out).
  GrmGroupReward score(std::string_view query, const std::vector<std::string>& responses, uint64_t seed) const;

  // Scores every group in one critique pass, group i seeded by (seed, groups[i].id): the scores of a group are
  // the same whatever other groups share the call. Results in the order of `groups`.
  std::vector<GrmGroupReward> score(const std::vector<GrmGroupInput>& groups, uint64_t seed) const;

 private:
  const grm::PromptTemplate prompt_;
  const GrmBackends backends_;
  const grm::GroupScorer scorer_;  // refers to prompt_ and the backends above
  mutable std::mutex mutex_;
};

}  // namespace spct::reward
