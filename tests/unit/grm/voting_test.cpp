#include "workers/reward/grm/voting.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <set>

#include "core/error.h"

using namespace spct::grm;

namespace {

// A sample as the GRM wrote it: the order it saw and its raw text, really parsed.
SampleVote sample(std::vector<int> order, const std::string& text) {
  const int n = static_cast<int>(order.size());
  return SampleVote{std::move(order), parse_scores(text, ScoreSpec{n, 1, 10})};
}

// The paper's worked example (DeepSeek-GRM section 2): \boxed{8,8}; \boxed{9,5} reversed; \boxed{10,7} reversed.
std::vector<SampleVote> worked_example() {
  return {sample({0, 1}, "Scores: \\boxed{8, 8}"), sample({1, 0}, "Scores: \\boxed{9, 5}"),
          sample({1, 0}, "Scores: \\boxed{10, 7}")};
}

}  // namespace

TEST_CASE("voting@3 reproduces the paper's worked example: R1 = 20, R2 = 27", "[grm][voting]") {
  const VoteResult result = vote(worked_example(), 2, VoteOptions{});
  REQUIRE(result.ok);
  CHECK(result.totals == std::vector<double>{20, 27});
  CHECK(result.voters == std::vector<int>{0, 1, 2});
  CHECK(result.parse_failures == 0);
}

TEST_CASE("meta-RM voting keeps samples 2 and 3 of the example: R1 = 12, R2 = 19", "[grm][voting]") {
  const std::vector<double> meta = {-15.7781, 1.3126, 1.6739};
  VoteOptions options;
  options.meta_samples = 2;
  const VoteResult result = meta_vote(worked_example(), meta, 2, options);
  REQUIRE(result.ok);
  CHECK(result.voters == std::vector<int>{1, 2});
  CHECK(result.totals == std::vector<double>{5 + 7, 9 + 10});
  // Default k_meta = k / 2 = 1 for k = 3: only sample 3 (rated 1.6739) votes.
  const VoteResult half = meta_vote(worked_example(), meta, 2, VoteOptions{});
  CHECK(half.voters == std::vector<int>{2});
  CHECK(half.totals == std::vector<double>{7, 10});
}

TEST_CASE("k_meta defaults to k / 2, at least 1, at most k", "[grm][voting]") {
  CHECK(effective_meta_samples(8, 0) == 4);
  CHECK(effective_meta_samples(32, 0) == 16);
  CHECK(effective_meta_samples(1, 0) == 1);
  CHECK(effective_meta_samples(8, 3) == 3);
  CHECK(effective_meta_samples(4, 9) == 4);
  // Ties in the rating keep the lower index.
  CHECK(select_top_rated({1.0, 2.0, 2.0, 0.5}, 2) == std::vector<int>{1, 2});
  CHECK(select_top_rated({3.0, 3.0, 3.0}, 2) == std::vector<int>{0, 1});
  // A NaN rating ranks last.
  CHECK(select_top_rated({std::nan(""), 1.0, 0.5}, 2) == std::vector<int>{1, 2});
}

TEST_CASE("parse fallback skip rescales the valid votes to the voter count", "[grm][voting]") {
  std::vector<SampleVote> samples = worked_example();
  samples.push_back(sample({0, 1}, "Scores: 4 and 6"));
  VoteOptions options;
  options.fallback = ParseFallback::kSkip;
  const VoteResult result = vote(samples, 2, options);
  REQUIRE(result.ok);
  CHECK(result.parse_failures == 1);
  CHECK(result.totals[0] == Approx(20.0 * 4 / 3));
  CHECK(result.totals[1] == Approx(27.0 * 4 / 3));
}

TEST_CASE("parse fallback middle counts a failed critique as all (min + max) / 2", "[grm][voting]") {
  std::vector<SampleVote> samples = worked_example();
  samples.push_back(sample({1, 0}, "\\boxed{8, 11}"));
  VoteOptions options;
  options.fallback = ParseFallback::kMiddle;
  const VoteResult result = vote(samples, 2, options);
  REQUIRE(result.ok);
  CHECK(result.parse_failures == 1);
  CHECK(result.totals == std::vector<double>{25.5, 32.5});
}

TEST_CASE("parse fallback fail fails the vote naming the sample and its reason", "[grm][voting]") {
  std::vector<SampleVote> samples = worked_example();
  samples.insert(samples.begin() + 1, sample({0, 1}, "\\boxed{8}"));
  VoteOptions options;
  options.fallback = ParseFallback::kFail;
  const VoteResult result = vote(samples, 2, options);
  CHECK_FALSE(result.ok);
  CHECK_THAT(result.error, Catch::Matchers::Contains("sample 1: wrong_count"));
  CHECK_THAT(result.error, Catch::Matchers::Contains("expected 2"));
}

TEST_CASE("skip with no parsable voter fails, and a failure outside the meta top-k does not count", "[grm][voting]") {
  const std::vector<SampleVote> bad = {sample({0, 1}, "no box"), sample({1, 0}, "\\boxed{x, y}")};
  const VoteResult none = vote(bad, 2, VoteOptions{});
  CHECK_FALSE(none.ok);
  CHECK_THAT(none.error, Catch::Matchers::Contains("none of the 2 voting critiques parsed"));

  std::vector<SampleVote> samples = worked_example();
  samples.push_back(sample({0, 1}, "garbage"));
  VoteOptions options;
  options.fallback = ParseFallback::kFail;
  options.meta_samples = 2;
  const VoteResult result = meta_vote(samples, {-15.7781, 1.3126, 1.6739, -40.0}, 2, options);
  REQUIRE(result.ok);
  CHECK(result.parse_failures == 0);
  CHECK(result.totals == std::vector<double>{12, 19});
}

TEST_CASE("a parsed sample that disagrees with n is a contract violation, not a silent misread", "[grm][voting]") {
  const std::vector<SampleVote> samples = {sample({0, 1, 2}, "\\boxed{1, 2, 3}")};
  CHECK_THROWS_AS(vote(samples, 2, VoteOptions{}), spct::Error);
}

TEST_CASE("seeded shuffles are permutations, reproducible, and map scores back", "[grm][voting]") {
  std::map<std::vector<int>, int> seen;
  for (uint64_t s = 0; s < 2400; ++s) {
    const std::vector<int> order = shuffled_order(4, derive_seed(7, s));
    std::vector<int> sorted = order;
    std::sort(sorted.begin(), sorted.end());
    REQUIRE(sorted == std::vector<int>{0, 1, 2, 3});
    ++seen[order];
  }
  // All 24 orders of 4 appear, each roughly 100 times (a biased shuffle would miss this by far).
  REQUIRE(seen.size() == 24);
  for (const auto& [order, count] : seen) CHECK((count > 50 && count < 150));
  CHECK(shuffled_order(6, 42) == shuffled_order(6, 42));
  CHECK(shuffled_order(6, derive_seed(42, 0)) != shuffled_order(6, derive_seed(42, 1)));
  CHECK(shuffled_order(0, 1).empty());
  CHECK(shuffled_order(1, 1) == std::vector<int>{0});

  // Response 2 was shown first and got 9: back in original order it is the second score.
  CHECK(to_original_order({9, 5}, {1, 0}) == std::vector<int>{5, 9});
  CHECK(to_original_order({1, 2, 3}, {2, 0, 1}) == std::vector<int>{2, 3, 1});
}

TEST_CASE("groups larger than a pass are split into balanced contiguous chunks", "[grm][voting]") {
  CHECK(chunk_group(4, 8) == std::vector<std::vector<int>>{{0, 1, 2, 3}});
  CHECK(chunk_group(9, 8) == std::vector<std::vector<int>>{{0, 1, 2, 3, 4}, {5, 6, 7, 8}});
  CHECK(chunk_group(16, 8) == std::vector<std::vector<int>>{{0, 1, 2, 3, 4, 5, 6, 7}, {8, 9, 10, 11, 12, 13, 14, 15}});
  CHECK(chunk_group(7, 3) == std::vector<std::vector<int>>{{0, 1, 2}, {3, 4}, {5, 6}});
  CHECK(chunk_group(0, 3).empty());
  for (int n = 1; n <= 40; ++n) {
    for (int max = 2; max <= 9; ++max) {
      const auto chunks = chunk_group(n, max);
      int next = 0;
      size_t smallest = 1000, largest = 0;
      for (const auto& chunk : chunks) {
        for (const int i : chunk) CHECK(i == next++);
        smallest = std::min(smallest, chunk.size());
        largest = std::max(largest, chunk.size());
      }
      CHECK(next == n);
      CHECK(largest <= static_cast<size_t>(max));
      CHECK(largest - smallest <= 1);
    }
  }
}

TEST_CASE("scaled scores and the weighted combination with rule rewards", "[grm][voting]") {
  // 27 over 3 critiques is a mean of 9 on 1..10: (9 - 1) / 9.
  CHECK(scaled_score(27, 3, 1, 10) == Approx(8.0 / 9.0));
  CHECK(scaled_score(3, 3, 1, 10) == Approx(0.0));
  CHECK(scaled_score(30, 3, 1, 10) == Approx(1.0));
  CHECK(combine_with_rule(0.5, 1.0, 0.0) == Approx(0.5));
  CHECK(combine_with_rule(0.5, 1.0, 1.0) == Approx(1.0));
  CHECK(combine_with_rule(0.5, -1.0, 0.25) == Approx(0.375 - 0.25));
}

TEST_CASE("vote options come from the grm config section", "[grm][voting]") {
  spct::config::GrmSection grm;
  grm.parse_fallback = ParseFallback::kMiddle;
  grm.meta_samples = 3;
  grm.score_min = 0;
  grm.score_max = 5;
  const VoteOptions options = VoteOptions::from_config(grm);
  CHECK(options.fallback == ParseFallback::kMiddle);
  CHECK(options.meta_samples == 3);
  CHECK(options.score_min == 0);
  CHECK(options.score_max == 5);
}
