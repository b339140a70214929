#include "workers/reward/rules/math_answer.h"

#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "workers/reward/rules/math_match.h"
#include "workers/reward/rules/reward_registry.h"

using spct::reward::math_answers_equal;
using spct::reward::MathTolerance;
using spct::reward::normalize_math_answer;

TEST_CASE("equivalent ways of writing one math answer compare equal", "[rewards][math]") {
  const std::vector<std::pair<std::string, std::string>> same = {
      {"\\frac{1}{2}", "1/2"},
      {"\\frac{1}{2}", "0.5"},
      {"\\frac12", "0.5"},
      {"\\dfrac{1}{2}", ".5"},
      {"\\tfrac{3}{4}", "\\frac{3}{4}"},
      {"\\boxed{\\frac{1}{2}}", "1/2"},
      {"The answer is \\boxed{42}.", "42"},
      {"\\boxed{1}, then \\boxed{7}", "7"},
      {"$42$", "42"},
      {"\\(42\\)", "42"},
      {"42.", "42"},
      {"42", "42.0"},
      {"1,000", "1000"},
      {"12,345,678", "12345678"},
      {"\\$1,000", "1000"},
      {"50\\%", "50"},
      {"90^\\circ", "90"},
      {"90^{\\circ}", "90"},
      {"5 \\text{ cm}", "5"},
      {"5\\,\\text{meters}", "5"},
      {"x = 3", "3"},
      {"\\left( 1, 2 \\right)", "(1,2)"},
      {"\\left[ \\frac{1}{2}, 3 \\right)", "[0.5, 3)"},
      {"(1,000, 2)", "(1000,2)"},
      {"\\sqrt2", "\\sqrt{2}"},
      {"\\frac{\\sqrt{3}}{2}", "\\sqrt{3}/2"},
      {"\\frac{x+1}{2}", "(x+1)/2"},
      {"\\frac{x}{y}", "x/y"},
      {"-\\frac{1}{4}", "-0.25"},
      {"\\frac{-1}{4}", "-1/4"},
      {"\\text{(B)}", "(B)"},
      {"1 \\, 000", "1000"},
      {"3 \\cdot 2", "3\\cdot2"},
      {"\\frac{\\frac{1}{2}}{3}", "(1/2)/3"},
      {"2.50", "2.5"},
      {"1e3", "1000"},
  };
  for (const auto& [a, b] : same) {
    INFO(a << " vs " << b << " (normalised: " << normalize_math_answer(a) << " vs " << normalize_math_answer(b) << ")");
    CHECK(math_answers_equal(a, b, MathTolerance{}));
    CHECK(math_answers_equal(b, a, MathTolerance{}));
  }
}

TEST_CASE("different math answers compare different", "[rewards][math]") {
  const std::vector<std::pair<std::string, std::string>> different = {
      {"\\frac{1}{2}", "1/3"},
      {"0.5", "0.51"},
      {"1,000", "100"},
      {"(1,2)", "(2,1)"},
      {"[1,2]", "(1,2)"},
      {"(1,2)", "(1,2,3)"},
      {"x+1", "1+x"},  // no symbolic algebra: documented
      {"\\sqrt{2}", "\\sqrt{3}"},
      {"2x", "2"},  // a variable is not a unit
      {"42", ""},
      {"", ""},
      {"\\boxed{}", "0"},
      {"-3", "3"},
      {"\\rightarrow 3", "3"},
  };
  for (const auto& [a, b] : different) {
    INFO(a << " vs " << b << " (normalised: " << normalize_math_answer(a) << " vs " << normalize_math_answer(b) << ")");
    CHECK_FALSE(math_answers_equal(a, b, MathTolerance{}));
  }
}

TEST_CASE("the numeric tolerance decides near-equal decimals", "[rewards][math]") {
  CHECK(math_answers_equal("0.3333333", "\\frac{1}{3}", MathTolerance{1e-6, 0}));
  CHECK_FALSE(math_answers_equal("0.33", "\\frac{1}{3}", MathTolerance{1e-6, 0}));
  CHECK(math_answers_equal("0.33", "\\frac{1}{3}", MathTolerance{0, 0.01}));
}

TEST_CASE("normalisation gives one canonical text", "[rewards][math]") {
  CHECK(normalize_math_answer("\\boxed{\\dfrac{1}{2}}") == "1/2");
  CHECK(normalize_math_answer("\\left( \\frac{x+1}{2} \\right)") == "((x+1)/2)");
  CHECK(normalize_math_answer("1,234,567.") == "1234567");
  CHECK(normalize_math_answer("\\text{Paris}") == "Paris");
}

TEST_CASE("math_match scores a completion's answer against the reference", "[rewards][math]") {
  using spct::reward::AnswerFormat;
  using spct::reward::MathMatch;
  using spct::reward::RewardInput;
  const MathMatch boxed(AnswerFormat::kBoxed, {}, MathTolerance{});
  CHECK(boxed.score(RewardInput{"q", "so x = 1/2, i.e. \\boxed{\\frac12}", "0.5"}) == 1.0);
  CHECK(boxed.score(RewardInput{"q", "the answer is 0.5", "0.5"}) == 0.0);  // no box: no answer
  CHECK(boxed.score(RewardInput{"q", "\\boxed{3}", "\\boxed{4}"}) == 0.0);
  const MathMatch line(AnswerFormat::kLine, {"</s>"}, MathTolerance{});
  CHECK(line.score(RewardInput{"q", "$1,000$\nbecause ...", "1000"}) == 1.0);
  CHECK(line.score(RewardInput{"q", "1000</s>", "1,000"}) == 1.0);
  CHECK_THROWS_AS(line.score(RewardInput{"q", "1", "  "}), spct::InputError);
}

TEST_CASE("math_match is built from its options through the registry", "[rewards][math]") {
  spct::reward::RuleOptions options;
  options.answer_format = spct::reward::AnswerFormat::kBoxed;
  options.numeric_rel_tolerance = 1e-3;
  const auto rule = spct::reward::make_rule_reward("math_match", options);
  using spct::reward::RewardInput;
  CHECK(rule->score(RewardInput{"q", "so \\boxed{0.3334}", "\\frac13"}) == 1.0);  // within the config's tolerance
  CHECK(rule->score(RewardInput{"q", "0.5", "\\frac12"}) == 0.0);                 // boxed format: no box, no answer
}
