#include "workers/reward/grm/voting.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/error.h"

namespace spct::grm {
namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Uniform integer in [0, bound) by rejection, so that no residue is favoured (bound is small, rejections rare).
uint64_t uniform_below(uint64_t& state, uint64_t bound) {
  const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  while (true) {
    state = splitmix64(state);
    if (state < limit) return state % bound;
  }
}

std::string sample_failure(int sample, const ParsedScores& parsed) {
  return "sample " + std::to_string(sample) + ": " + parse_status_name(parsed.status) + " (" + parsed.reason + ")";
}

VoteResult vote_subset(const std::vector<SampleVote>& samples, const std::vector<int>& voters, int n,
                       const VoteOptions& options) {
  VoteResult result;
  result.voters = voters;
  result.totals.assign(static_cast<size_t>(n), 0.0);
  int valid = 0;
  std::string first_failure;
  for (const int s : voters) {
    const SampleVote& sample = samples[static_cast<size_t>(s)];
    if (!sample.parsed.ok()) {
      ++result.parse_failures;
      if (first_failure.empty()) first_failure = sample_failure(s, sample.parsed);
      if (options.fallback == ParseFallback::kFail) {
        result.error = "critique " + first_failure + " and grm.parse_fallback is fail";
        return result;
      }
      if (options.fallback == ParseFallback::kMiddle) {
        const double middle = (options.score_min + options.score_max) / 2.0;
        for (double& total : result.totals) total += middle;
      }
      continue;
    }
    if (sample.parsed.scores.size() != static_cast<size_t>(n) || sample.order.size() != static_cast<size_t>(n)) {
      throw Error(ExitCode::kFailure, "grm vote: sample " + std::to_string(s) + " has " +
                                          std::to_string(sample.parsed.scores.size()) + " scores and an order of " +
                                          std::to_string(sample.order.size()) + " for " + std::to_string(n) +
                                          " responses");
    }
    ++valid;
    const std::vector<int> original = to_original_order(sample.parsed.scores, sample.order);
    for (int i = 0; i < n; ++i) result.totals[static_cast<size_t>(i)] += original[static_cast<size_t>(i)];
  }
  if (options.fallback == ParseFallback::kSkip && valid < static_cast<int>(voters.size())) {
    if (valid == 0) {
      result.error =
          "none of the " + std::to_string(voters.size()) + " voting critiques parsed; first: " + first_failure;
      return result;
    }
    const double scale = static_cast<double>(voters.size()) / valid;
    for (double& total : result.totals) total *= scale;
  }
  result.ok = true;
  return result;
}

}  // namespace

uint64_t derive_seed(uint64_t seed, uint64_t stream) {
  return splitmix64(splitmix64(seed) ^ splitmix64(stream + 0x632be59bd9b4e019ULL));
}

std::vector<int> shuffled_order(int n, uint64_t seed) {
  std::vector<int> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  uint64_t state = seed;
  for (int i = n - 1; i > 0; --i) {
    const auto j = static_cast<int>(uniform_below(state, static_cast<uint64_t>(i) + 1));
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
  }
  return order;
}

std::vector<int> to_original_order(const std::vector<int>& shown, const std::vector<int>& order) {
  std::vector<int> original(shown.size());
  for (size_t p = 0; p < shown.size(); ++p) original[static_cast<size_t>(order[p])] = shown[p];
  return original;
}

VoteOptions VoteOptions::from_config(const config::GrmSection& grm) {
  VoteOptions options;
  options.fallback = grm.parse_fallback;
  options.score_min = static_cast<int>(grm.score_min);
  options.score_max = static_cast<int>(grm.score_max);
  options.meta_samples = static_cast<int>(grm.meta_samples);
  return options;
}

VoteResult vote(const std::vector<SampleVote>& samples, int n, const VoteOptions& options) {
  std::vector<int> all(samples.size());
  std::iota(all.begin(), all.end(), 0);
  return vote_subset(samples, all, n, options);
}

int effective_meta_samples(int k, int meta_samples) {
  if (meta_samples > 0) return std::min(meta_samples, k);
  return std::max(1, k / 2);
}

std::vector<int> select_top_rated(const std::vector<double>& meta_scores, int keep) {
  std::vector<int> ranked(meta_scores.size());
  std::iota(ranked.begin(), ranked.end(), 0);
  // A NaN rating (a broken meta RM) ranks last instead of breaking the sort's ordering.
  const auto rating = [&](int i) {
    const double r = meta_scores[static_cast<size_t>(i)];
    return std::isnan(r) ? -std::numeric_limits<double>::infinity() : r;
  };
  // Stable sort: equal ratings keep the lower sample index first.
  std::stable_sort(ranked.begin(), ranked.end(), [&](int a, int b) { return rating(a) > rating(b); });
  ranked.resize(std::min(ranked.size(), static_cast<size_t>(std::max(keep, 0))));
  std::sort(ranked.begin(), ranked.end());
  return ranked;
}

VoteResult meta_vote(const std::vector<SampleVote>& samples, const std::vector<double>& meta_scores, int n,
                     const VoteOptions& options) {
  const int keep = effective_meta_samples(static_cast<int>(samples.size()), options.meta_samples);
  return vote_subset(samples, select_top_rated(meta_scores, keep), n, options);
}

std::vector<std::vector<int>> chunk_group(int n, int max_per_pass) {
  std::vector<std::vector<int>> chunks;
  if (n <= 0) return chunks;
  const int count = (n + max_per_pass - 1) / max_per_pass;
  int next = 0;
  for (int c = 0; c < count; ++c) {
    // The first n % count chunks take one extra response.
    const int size = n / count + (c < n % count ? 1 : 0);
    std::vector<int>& chunk = chunks.emplace_back();
    for (int i = 0; i < size; ++i) chunk.push_back(next++);
  }
  return chunks;
}

double scaled_score(double total, int voters, int score_min, int score_max) {
  const double mean = total / voters;
  return (mean - score_min) / (score_max - score_min);
}

double combine_with_rule(double grm_scaled, double rule_reward, double rule_weight) {
  return (1.0 - rule_weight) * grm_scaled + rule_weight * rule_reward;
}

}  // namespace spct::grm
