// Inference-time scaling of the GRM: voting@k, meta-RM guided voting, response-order shuffles, chunking of
// large groups, and the combination of the voted score with rule-based rewards.
//
// Voting@k (DeepSeek-GRM, section 2 of algorithms.md): k critiques are sampled for the same query and
// responses, each seeing the responses in its own seeded random order; each critique's scores are mapped back
// to the original order and summed: S*_i = sum_j S_ij. Worked example: \boxed{8,8}; \boxed{9,5} with the order
// reversed; \boxed{10,7} reversed -> totals {20, 27}.
//
// Meta-RM guided voting: a scalar meta RM rates each critique; only the k_meta highest-rated critiques vote
// (k_meta = 0 means k / 2, at least 1). Selection looks at every sampled critique, parsable or not: the meta RM
// judges the whole trajectory, format included. Ties in the meta score keep the lower sample index.
//
// Parse failures (see score_parser.h) among the voters follow ParseFallback:
//   kSkip    the critique does not vote; the others' sum is rescaled by voters / valid so totals stay on the
//            scale of `voters` critiques (comparable across chunks). If no voter parsed, the vote fails.
//   kMiddle  the critique gives every response (score_min + score_max) / 2.
//   kFail    the vote fails, naming the sample and its parse reason.
//
// Chunking: a group larger than max_responses_per_pass is split into contiguous chunks of balanced sizes
// (sizes differ by at most 1; a chunk holds a lone response only when the group does, or when the maximum is 2
// and the group is odd). Each chunk is voted on separately by the same number of critiques; a response's total
// comes from its own chunk. Pointwise scores are absolute (1..10 against the principles), and every chunk's
// totals are sums over the same number of critiques, so totals from different chunks are compared directly.
//
// Thread safety: every function here is pure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "workers/reward/grm/score_parser.h"

namespace spct::grm {

// A 64-bit seed for stream `stream` of `seed` (splitmix64 finaliser): independent, reproducible sub-seeds.
uint64_t derive_seed(uint64_t seed, uint64_t stream);

// A uniformly random permutation of 0..n-1 from `seed` (Fisher-Yates with rejection sampling, so the result is
// the same on every platform and standard library). order[p] is the original index shown at position p.
std::vector<int> shuffled_order(int n, uint64_t seed);

// Scores written in shown order, put back in original order: result[order[p]] = shown[p].
// REQUIRES: shown.size() == order.size() and order is a permutation.
std::vector<int> to_original_order(const std::vector<int>& shown, const std::vector<int>& order);

using config::ParseFallback;  // grm.parse_fallback

struct VoteOptions {
  ParseFallback fallback = ParseFallback::kSkip;
  int score_min = 1;
  int score_max = 10;
  int meta_samples = 0;  // k_meta for meta-RM guided voting; 0 = k / 2 (at least 1)

  static VoteOptions from_config(const config::GrmSection& grm);
};

// One sampled critique of one chunk: the order it saw the responses in and what its scores parsed to.
struct SampleVote {
  std::vector<int> order;  // order[p] = original index (within the chunk) shown at position p
  ParsedScores parsed;     // scores in shown order when parsed.ok()
};

struct VoteResult {
  bool ok = false;
  std::string error;           // why the vote failed (empty when ok)
  std::vector<double> totals;  // S*_i in original order, on the scale of `voters.size()` critiques
  std::vector<int> voters;     // indices of the samples selected to vote (all, or the meta RM's top k_meta)
  int parse_failures = 0;      // among the voters
};

// Voting@k over every sample. `n` is the number of responses. REQUIRES: each order has n entries.
VoteResult vote(const std::vector<SampleVote>& samples, int n, const VoteOptions& options);

// k_meta actually used for k samples.
int effective_meta_samples(int k, int meta_samples);

// Indices of the `keep` samples with the highest meta scores (NaN ranks lowest), in increasing index order.
std::vector<int> select_top_rated(const std::vector<double>& meta_scores, int keep);

// Meta-RM guided voting: vote() over the top effective_meta_samples(k, options.meta_samples) samples.
// REQUIRES: meta_scores.size() == samples.size().
VoteResult meta_vote(const std::vector<SampleVote>& samples, const std::vector<double>& meta_scores, int n,
                     const VoteOptions& options);

// Balanced contiguous chunks of 0..n-1 with at most max_per_pass indices each. REQUIRES: max_per_pass >= 1.
std::vector<std::vector<int>> chunk_group(int n, int max_per_pass);

// A vote total as a mean score over `voters` critiques, scaled linearly to [0, 1] (score_min -> 0).
double scaled_score(double total, int voters, int score_min, int score_max);

// (1 - rule_weight) * grm_scaled + rule_weight * rule_reward (grm.rule_weight).
double combine_with_rule(double grm_scaled, double rule_reward, double rule_weight);

}  // namespace spct::grm
