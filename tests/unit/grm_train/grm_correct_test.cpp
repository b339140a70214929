#include "workers/reward/rules/grm_correct.h"

#include <catch2/catch.hpp>

#include "core/error.h"
#include "workers/reward/rules/combined_reward.h"

using Catch::Matchers::Contains;
using spct::reward::GrmCorrect;
using spct::reward::GrmParsed;
using spct::reward::RewardInput;

namespace {

double correct(std::string_view completion, std::string_view reference) {
  return GrmCorrect(1, 10).score(RewardInput{"prompt", completion, reference});
}

double parsed(std::string_view completion, std::string_view reference) {
  return GrmParsed(1, 10).score(RewardInput{"prompt", completion, reference});
}

}  // namespace

TEST_CASE("grm_correct: +1 only when the best response is strictly on top", "[grm_train]") {
  CHECK(correct("\\boxed{9,2}", "\\boxed{10,1}") == 1.0);
  CHECK(correct("\\boxed{2,9}", "\\boxed{10,1}") == -1.0);
  CHECK(correct("\\boxed{6,6}", "\\boxed{10,1}") == -1.0);  // a tie is not correct in training
  CHECK(correct("\\boxed{3,8,7}", "\\boxed{1,10,1}") == 1.0);
  CHECK(correct("\\boxed{3,8,8}", "\\boxed{1,10,1}") == -1.0);
  // The last box counts, whatever comes around it.
  CHECK(correct("Analysis: R1 \\boxed{1,9} wait. Scores: \\boxed{9,1} done", "\\boxed{10,1}") == 1.0);
}

TEST_CASE("grm_correct: a labelled item's reference (no single best) asks each score on its side of the middle",
          "[grm_train]") {
  // All wrong: both low, whatever their order; one high is the error a GRM trained on one-right items makes.
  CHECK(correct("\\boxed{1,5}", "\\boxed{1,1}") == 1.0);
  CHECK(correct("\\boxed{1,9}", "\\boxed{1,1}") == -1.0);
  CHECK(correct("\\boxed{6,1}", "\\boxed{1,1}") == -1.0);  // 6 is above the middle 5.5 of 1..10
  // All right: both high; a tie is what is asked, not a fault.
  CHECK(correct("\\boxed{10,6}", "\\boxed{10,10}") == 1.0);
  CHECK(correct("\\boxed{10,5}", "\\boxed{10,10}") == -1.0);
  // Two right, one wrong (n = 3): each on its side.
  CHECK(correct("\\boxed{8,9,2}", "P:3 \\boxed{10,10,1}") == 1.0);
  CHECK(correct("\\boxed{8,9,7}", "P:3 \\boxed{10,10,1}") == -1.0);
  CHECK(parsed("\\boxed{8,9}", "\\boxed{10,10,1}") == 0.0);  // the reference says three responses
}

TEST_CASE("grm_correct: parse failures are wrong, and grm_parsed counts them", "[grm_train]") {
  for (const char* bad : {"", "\\boxed{9}", "\\boxed{9,1,1}", "\\boxed{11,1}", "\\boxed{9,x}", "\\boxed{9,1"}) {
    INFO(bad);
    CHECK(correct(bad, "\\boxed{10,1}") == -1.0);
    CHECK(parsed(bad, "\\boxed{10,1}") == 0.0);
  }
  CHECK(parsed("\\boxed{2,9}", "\\boxed{10,1}") == 1.0);  // parses, though wrong
}

TEST_CASE("grm_correct: single-response items score 0 or 1 against the label", "[grm_train]") {
  CHECK(correct("\\boxed{1}", "\\boxed{1}") == 1.0);
  CHECK(correct("\\boxed{0}", "\\boxed{1}") == 0.0);
  CHECK(correct("\\boxed{0}", "\\boxed{0}") == 1.0);
  CHECK(correct("\\boxed{7}", "\\boxed{0}") == 0.0);  // outside 0/1: a parse failure
  CHECK(parsed("\\boxed{7}", "\\boxed{0}") == 0.0);
}

TEST_CASE("grm_correct refuses a reference that is not an oracle critique", "[grm_train]") {
  CHECK_THROWS_AS(correct("\\boxed{9,1}", "12"), spct::InputError);
  CHECK_THROWS_WITH(parsed("\\boxed{9,1}", "P:3 no box"), Contains("not an oracle critique"));
}

TEST_CASE("grm_correct and grm_parsed are registered reward functions", "[grm_train]") {
  const auto reward = spct::reward::CombinedReward::make({"grm_correct", "grm_parsed"}, {1.0, 0.0}, {});
  const auto scores = reward.score(RewardInput{"p", "\\boxed{2,9}", "\\boxed{10,1}"});
  CHECK(scores.total == -1.0);
  CHECK(scores.per_function == std::vector<double>{-1.0, 1.0});
}
