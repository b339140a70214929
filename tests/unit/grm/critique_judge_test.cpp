#include "workers/reward/grm/critique_judge.h"

#include <catch2/catch.hpp>

#include "workers/reward/grm/correctness.h"

using namespace spct::grm;
using Catch::Matchers::Contains;

namespace {

PreferenceItem item(std::vector<std::string> responses, int truth) {
  return PreferenceItem{"Which is right?", std::move(responses), truth, "", "test:1", {}, ""};
}

}  // namespace

TEST_CASE("an item's prompt shows its responses in the given order, hinted or not", "[grm][judge]") {
  const PromptTemplate prompt(PromptOptions::from_config(spct::config::GrmSection{}));
  const PreferenceItem three = item({"alpha", "beta", "gamma"}, 2);
  const std::string text = render_item_prompt(prompt, three, {2, 0, 1});
  CHECK_THAT(text, Contains("[The Begin of Response 1]\ngamma\n"));
  CHECK_THAT(text, Contains("[The Begin of Response 2]\nalpha\n"));
  CHECK_THAT(text, Contains("[The Begin of Response 3]\nbeta\n"));
  CHECK(text.find("The best response is") == std::string::npos);
  // The best (gamma) is shown first.
  CHECK_THAT(render_item_prompt(prompt, three, {2, 0, 1}, true), Contains("The best response is: Response 1"));
  CHECK_THAT(render_item_prompt(prompt, three, {0, 1, 2}, true), Contains("The best response is: Response 3"));
  const std::string single = render_item_prompt(prompt, item({"only"}, 1), {0}, true);
  CHECK_THAT(single, Contains("score 1 if it does, 0 if it does not"));
  CHECK(single.find("The best response is") == std::string::npos);
}

TEST_CASE("critiques are judged in original order by the training rule", "[grm][judge]") {
  const PromptTemplate prompt(PromptOptions::from_config(spct::config::GrmSection{}));
  const PreferenceItem two = item({"right", "wrong"}, 0);
  // Shown reversed: the critique's second score is response 0's.
  CHECK(judge_critique(prompt, two, {1, 0}, "Scores: \\boxed{3, 9}").correct);
  CHECK_FALSE(judge_critique(prompt, two, {1, 0}, "Scores: \\boxed{9, 3}").correct);
  CHECK_FALSE(judge_critique(prompt, two, {0, 1}, "Scores: \\boxed{6, 6}").correct);
  const Judgement unparsed = judge_critique(prompt, two, {0, 1}, "Scores: \\boxed{9, 3, 1}");
  CHECK_FALSE(unparsed.correct);
  CHECK(unparsed.parsed.status == ParseStatus::kWrongCount);
  CHECK(rl_reward(judge_critique(prompt, two, {0, 1}, "\\boxed{10, 2}").correct) == 1.0);

  const PreferenceItem single = item({"42"}, 1);
  CHECK(judge_critique(prompt, single, {0}, "\\boxed{1}").correct);
  CHECK_FALSE(judge_critique(prompt, single, {0}, "\\boxed{0}").correct);
  CHECK(judge_critique(prompt, single, {0}, "\\boxed{7}").parsed.status == ParseStatus::kOutOfRange);
}
