#include "workers/reward/grm/prompt_template.h"

#include <catch2/catch.hpp>

#include "core/error.h"

using namespace spct::grm;
using Catch::Matchers::Contains;

namespace {

PromptTemplate default_template() {
  return PromptTemplate(PromptOptions::from_config(spct::config::GrmSection{}));
}

// Position of `needle` in `text`, failing the test when it is absent.
size_t at(const std::string& text, const std::string& needle) {
  const size_t pos = text.find(needle);
  INFO(needle);
  REQUIRE(pos != std::string::npos);
  return pos;
}

}  // namespace

TEST_CASE("the paper's score bands come out of 1..10, and other ranges are spread alike", "[grm][prompt]") {
  const std::vector<ScoreBand> bands = score_bands(1, 10);
  REQUIRE(bands.size() == 4);
  CHECK((bands[0].low == 9 && bands[0].high == 10));
  CHECK((bands[1].low == 6 && bands[1].high == 8));
  CHECK((bands[2].low == 3 && bands[2].high == 5));
  CHECK((bands[3].low == 1 && bands[3].high == 2));
  CHECK_THAT(bands[0].meaning, Contains("excellent"));
  for (const auto& [lo, hi] : std::vector<std::pair<int, int>>{{0, 1}, {1, 5}, {0, 100}, {3, 7}}) {
    const std::vector<ScoreBand> spread = score_bands(lo, hi);
    REQUIRE_FALSE(spread.empty());
    CHECK(spread.front().high == hi);
    CHECK(spread.back().low == lo);
    for (size_t b = 1; b < spread.size(); ++b) CHECK(spread[b].high == spread[b - 1].low - 1);
  }
}

TEST_CASE("the pointwise prompt has the App. G parts in order", "[grm][prompt]") {
  const PromptTemplate prompt = default_template();
  const std::string text = prompt.render("What is 2 + 3?", {"It is 5.", "It is 6."});
  const size_t instruction = at(text, "strict scoring expert");
  const size_t criteria = at(text, "#### Evaluation Criteria ####");
  const size_t first_principle = at(text, "1. Instruction adherence: ");
  const size_t weight = at(text, "(weight 30%)");
  const size_t fifth = at(text, "5. Harmlessness");
  const size_t band = at(text, "- 9-10: excellent");
  const size_t lowest = at(text, "- 1-2: poor");
  const size_t context = at(text, "#### Conversation Context ####\nWhat is 2 + 3?\n");
  const size_t scored = at(text, "#### Responses to be Scored ####");
  const size_t r1 = at(text, "[The Begin of Response 1]\nIt is 5.\n[The End of Response 1]");
  const size_t r2 = at(text, "[The Begin of Response 2]\nIt is 6.\n[The End of Response 2]");
  const size_t format = at(text, "#### Output Format Requirements ####");
  const size_t boxed = at(text, "Scores: \\boxed{s_1, s_2}");
  CHECK(instruction < criteria);
  CHECK(criteria < first_principle);
  CHECK(first_principle < weight);
  CHECK(weight < fifth);
  CHECK(fifth < band);
  CHECK(band < lowest);
  CHECK(lowest < context);
  CHECK(context < scored);
  CHECK(scored < r1);
  CHECK(r1 < r2);
  CHECK(r2 < format);
  CHECK(format < boxed);
  CHECK(text.find("Specific Criteria:") > format);
  CHECK(text.find("Analysis:") > format);
  CHECK(text.find("The best response is") == std::string::npos);
  CHECK(prompt.spec(2).count == 2);
  CHECK(prompt.spec(2).max == 10);
}

TEST_CASE("principles and weights come from config, weights shown as percentages", "[grm][prompt]") {
  spct::config::GrmSection grm;
  grm.principles = {"Brevity: short answers", "Rigour: every step justified", "Tone: polite"};
  grm.principle_weights = {1, 1, 2};
  grm.score_min = 1;
  grm.score_max = 5;
  const PromptTemplate prompt(PromptOptions::from_config(grm));
  const std::string text = prompt.render("q", {"a", "b", "c"});
  CHECK_THAT(text, Contains("1. Brevity: short answers (weight 25%)"));
  CHECK_THAT(text, Contains("3. Tone: polite (weight 50%)"));
  CHECK_THAT(text, Contains("an integer from 1 to 5"));
  CHECK_THAT(text, Contains("\\boxed{s_1, s_2, s_3}"));
  CHECK(text.find("Instruction adherence") == std::string::npos);

  grm.principle_weights = {};
  const std::string equal = PromptTemplate(PromptOptions::from_config(grm)).render("q", {"a", "b"});
  CHECK_THAT(equal, Contains("(weight 33.3%)"));
}

TEST_CASE("the hint line names the best response in shown order", "[grm][prompt]") {
  const std::string text = default_template().render("q", {"a", "b", "c"}, 2);
  const size_t hint = at(text, "The best response is: Response 3");
  CHECK(hint > text.find("#### Output Format Requirements ####"));
}

TEST_CASE("the single-response variant asks for 0 or 1", "[grm][prompt]") {
  const PromptTemplate prompt = default_template();
  const std::string text = prompt.render_single("What is 2 + 3?", "5");
  CHECK_THAT(text, Contains("[The Begin of Response 1]\n5\n[The End of Response 1]"));
  CHECK_THAT(text, Contains("score 1 if it does, 0 if it does not"));
  CHECK_THAT(text, Contains("\\boxed{s_1}"));
  CHECK(text.find("[The Begin of Response 2]") == std::string::npos);
  CHECK(PromptTemplate::single_spec().min == 0);
  CHECK(PromptTemplate::single_spec().max == 1);
}

TEST_CASE("an unusable template is a usage error naming the key", "[grm][prompt]") {
  PromptOptions none;
  CHECK_THROWS_WITH(PromptTemplate(none), Contains("grm.principles"));
  PromptOptions negative{{{"A: a", 1}, {"B: b", -1}}, 1, 10};
  CHECK_THROWS_WITH(PromptTemplate(negative), Contains("grm.principle_weights[1]"));
  PromptOptions zero{{{"A: a", 0}}, 1, 10};
  CHECK_THROWS_WITH(PromptTemplate(zero), Contains("sum to 0"));
  PromptOptions range{{{"A: a", 1}}, 5, 5};
  CHECK_THROWS_AS(PromptTemplate(range), spct::UsageError);
}
