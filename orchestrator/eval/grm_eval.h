// Accuracy of a generative reward model on labelled preference items (RewardBench pairs, listwise items, the
// built-in synthetic preference task), with the paper's inference-time scaling (section 2 of algorithms.md).
//
// Methods, each reported per subset and per section (grm/preference_eval.h):
//   greedy      one critique per item at temperature 0, the responses in one seeded shuffle;
//   voting@k    the first k of K = max(eval.k) critiques sampled per item at grm.temperature (each with its
//               own shuffle), scores summed per response;
//   metarm@k    (with a meta RM) the same k critiques, of which only the k_meta the meta RM rates highest vote:
//               k_meta = grm.meta_samples capped at k, or k / 2 (at least 1) when grm.meta_samples is 0.
// Every k reuses the same K critiques, so the curve over k compares like with like and costs one sampling pass.
// An item is correct when the picked best response is its labelled best. The pick is the argmax of the voted
// totals; TIES ARE BROKEN BY A SEEDED SHUFFLE (correctness.h: eval_pick_best), so a tie between the best and
// m - 1 others counts as correct with probability 1/m, reproducibly for a seed. An item whose vote fails
// (grm.parse_fallback) counts as wrong.
//
// Cost: two CritiqueSampler::generate() calls for the whole item set (the greedy pass and the sampled pass)
// and one CritiqueRater::rate() call; a model-driven sampler batches each of them.
//
// Thread safety: evaluate_grm() calls the sampler and rater, which need not be thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "workers/reward/grm/group_scorer.h"
#include "workers/reward/grm/preference_data.h"
#include "workers/reward/grm/preference_eval.h"

namespace spct::eval {

enum class GrmMethod { kGreedy, kVoting, kMetaRm };

struct GrmMethodResult {
  GrmMethod method = GrmMethod::kGreedy;
  std::string name;  // "greedy", "voting@4", "metarm@8"
  int k = 1;         // critiques considered per item
  int voters = 1;    // critiques that vote per item (k, or k_meta)
  grm::PreferenceEval accuracy;
  int64_t vote_failures = 0;  // items whose vote failed (counted wrong)
  // 1 where the method picked item i's best response, in item order: paired comparisons of two methods or two
  // models on the same items (pipeline/paired_comparison.h) need the items, not just the totals.
  std::vector<uint8_t> correct_per_item;
};

struct GrmEvalResult {
  int64_t items = 0;
  int64_t critiques = 0;                 // sampled, greedy ones included
  int64_t parse_failures = 0;            // among them
  double sample_seconds = 0;             // in the sampler and rater
  std::vector<GrmMethodResult> methods;  // greedy, voting@k for each k, then metarm@k for each k (with a rater)
};

struct GrmEvalOptions {
  std::vector<int> k = {1, 4, 8};  // sorted ascending, distinct, each >= 1
  uint64_t seed = 1;               // shuffles and tie-breaks
};

// Evaluates the GRM behind `sampler` (and `rater`, may be null) on `items` with the prompt, sampling and
// voting settings of `grm`. Throws spct::UsageError for an empty item list or k list, spct::InputError naming
// the item (its "file:line") for an item with fewer than 2 responses (the single-response variant is a
// training format), and what the sampler or rater throws.
GrmEvalResult evaluate_grm(const std::vector<grm::PreferenceItem>& items, const config::GrmSection& grm,
                           const GrmEvalOptions& options, grm::CritiqueSampler& sampler, grm::CritiqueRater* rater);

}  // namespace spct::eval
