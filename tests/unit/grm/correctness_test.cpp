#include "workers/reward/grm/correctness.h"

#include <catch2/catch.hpp>

#include "workers/reward/grm/preference_eval.h"

using namespace spct::grm;

TEST_CASE("n >= 2: correct iff the best response strictly beats every other", "[grm][correctness]") {
  CHECK(critique_correct({3, 9, 6}, 1));
  CHECK_FALSE(critique_correct({3, 9, 6}, 2));
  CHECK_FALSE(critique_correct({9, 9, 6}, 0));  // a tie for the top is not correct in training
  CHECK_FALSE(critique_correct({9, 9}, 1));
  CHECK(critique_correct({2, 1}, 0));
  CHECK_FALSE(critique_correct({2, 1}, 5));  // a truth outside the responses is never matched
  CHECK(totals_correct({20, 27}, 1));        // the paper's voted example picks response 2
  CHECK_FALSE(totals_correct({20, 27}, 0));
  CHECK_FALSE(totals_correct({27, 27}, 0));
}

TEST_CASE("n = 1: correct iff the score equals the label", "[grm][correctness]") {
  CHECK(critique_correct({1}, 1));
  CHECK(critique_correct({0}, 0));
  CHECK_FALSE(critique_correct({1}, 0));
  CHECK_FALSE(critique_correct({7}, 1));
}

TEST_CASE("rule-based RL rewards: +1/-1, and 0/1 for the single-response variant", "[grm][correctness]") {
  CHECK(rl_reward(true) == 1.0);
  CHECK(rl_reward(false) == -1.0);
  CHECK(rl_reward_single(true) == 1.0);
  CHECK(rl_reward_single(false) == 0.0);
}

TEST_CASE("evaluation breaks ties by a seeded shuffle, fairly and reproducibly", "[grm][correctness]") {
  CHECK(eval_pick_best({20, 27}, 1) == 1);
  CHECK(eval_pick_best({5, 1, 2}, 99) == 0);
  int picked_first = 0;
  const int trials = 4000;
  for (int seed = 0; seed < trials; ++seed) {
    const int pick = eval_pick_best({8, 3, 8}, static_cast<uint64_t>(seed));
    REQUIRE((pick == 0 || pick == 2));
    picked_first += pick == 0 ? 1 : 0;
    CHECK(eval_pick_best({8, 3, 8}, static_cast<uint64_t>(seed)) == pick);
  }
  CHECK(picked_first > trials * 0.45);
  CHECK(picked_first < trials * 0.55);
}

TEST_CASE("RewardBench subsets map to sections, with accuracy per subset, section and headline", "[grm][eval]") {
  CHECK(reward_bench_section("alpacaeval-easy") == "Chat");
  CHECK(reward_bench_section("llmbar-adver-GPTInst") == "Chat Hard");
  CHECK(reward_bench_section("xstest-should-respond") == "Safety");
  CHECK(reward_bench_section("hep-rust") == "Reasoning");
  CHECK(reward_bench_section("my-own-set") == "my-own-set");
  CHECK(reward_bench_section("") == "(none)");

  PreferenceEval eval;
  for (int i = 0; i < 4; ++i) eval.add("mt-bench-easy", i < 3);    // Chat 3/4
  for (int i = 0; i < 2; ++i) eval.add("alpacaeval-hard", i < 2);  // Chat 2/2 -> 5/6
  for (int i = 0; i < 5; ++i) eval.add("mt-bench-hard", i < 1);    // Chat Hard 1/5
  for (int i = 0; i < 2; ++i) eval.add("donotanswer", i < 2);      // Safety 2/2
  for (int i = 0; i < 10; ++i) eval.add("math-prm", i < 5);        // Reasoning 5/10
  PreferenceEval other;
  other.add("my-own-set", true);
  eval.merge(other);

  const std::vector<Accuracy> subsets = eval.per_subset();
  REQUIRE(subsets.size() == 6);
  CHECK(subsets[0].name == "alpacaeval-hard");
  const std::vector<Accuracy> sections = eval.per_section();
  REQUIRE(sections.size() == 5);
  for (const Accuracy& s : sections) {
    INFO(s.name);
    if (s.name == "Chat") CHECK((s.correct == 5 && s.total == 6));
    if (s.name == "Chat Hard") CHECK(s.value() == Approx(0.2));
    if (s.name == "Safety") CHECK(s.value() == Approx(1.0));
    if (s.name == "Reasoning") CHECK(s.value() == Approx(0.5));
    if (s.name == "my-own-set") CHECK(s.total == 1);
  }
  REQUIRE(eval.headline().has_value());
  CHECK(*eval.headline() == Approx((5.0 / 6 + 0.2 + 1.0 + 0.5) / 4));
  CHECK(eval.overall().correct == 3 + 2 + 1 + 2 + 5 + 1);
  CHECK(eval.overall().total == 24);
  CHECK_FALSE(PreferenceEval().headline().has_value());
}
