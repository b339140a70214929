#include "workers/reward/grm/rft_filter.h"

#include <catch2/catch.hpp>
#include <map>

#include "core/error.h"
#include "scripted_sampler.h"

using namespace spct::grm;
using namespace spct::grm::testing;
using Catch::Matchers::Contains;

namespace {

// The query of a rendered prompt.
std::string query_of(const std::string& prompt) {
  const std::string marker = "#### Conversation Context ####\n";
  const size_t b = prompt.find(marker) + marker.size();
  return prompt.substr(b, prompt.find('\n', b) - b);
}

// Writes critiques by the query: "easy" always right; "mixed" right every other time; "hard" always a tie
// unless hinted, then right; "broken" never boxed.
class ScenarioWriter {
 public:
  std::string operator()(const std::string& prompt, size_t) {
    const std::string query = query_of(prompt);
    const int seen = seen_[query]++;
    const bool hinted = prompt.find("The best response is: Response ") != std::string::npos;
    if (query == "broken") return "Analysis: I refuse to score.";
    if (query == "hard" && !hinted) {
      std::string tie;
      for (size_t i = 0; i < shown_responses(prompt).size(); ++i) tie += i ? ", 5" : "5";
      return "\\boxed{" + tie + "}";
    }
    if (query == "mixed" && seen % 2 == 1) {
      // Scores reversed: the worst response comes out on top.
      const auto shown = shown_responses(prompt);
      std::string boxed;
      for (const std::string& r : shown) boxed += (boxed.empty() ? "" : ", ") + std::to_string(11 - quality_of(r));
      return "\\boxed{" + boxed + "}";
    }
    return honest_critique(prompt);
  }

 private:
  std::map<std::string, int> seen_;
};

const char* const kItems = R"({"query": "easy", "responses": ["quality=2", "quality=8"], "best": 1})"
                           "\n"
                           R"({"query": "mixed", "responses": ["quality=9", "quality=3", "quality=5"], "best": 0})"
                           "\n"
                           R"({"query": "hard", "responses": ["quality=4", "quality=7"], "best": 1})"
                           "\n"
                           R"({"query": "broken", "responses": ["quality=4", "quality=7"], "best": 1})"
                           "\n"
                           R"({"query": "single", "responses": ["quality=1"], "label": 1})"
                           "\n"
                           R"({"query": "single", "responses": ["quality=0"], "label": 1})"
                           "\n";

}  // namespace

TEST_CASE("RFT keeps correct critiques, drops too-easy items and counts everything", "[grm][rft]") {
  const PromptTemplate prompt(PromptOptions::from_config(spct::config::GrmSection{}));
  const std::vector<PreferenceItem> items = parse_preference_jsonl(kItems, "items.jsonl");
  ScenarioWriter writer;
  ScriptedSampler sampler(std::ref(writer));
  const RftResult result = RftFilter(prompt, RftOptions{3, 0.5, false}, sampler).select(items, 21);

  CHECK(sampler.calls == 1);
  CHECK(sampler.seen_prompts.size() == 18);
  CHECK(result.counts.items == 6);
  CHECK(result.counts.samples == 18);
  // easy: 3/3 (too easy); mixed: 2/3 (samples 0 and 2); hard: 0; broken: 0; single ok: 3/3 (too easy); single
  // wrong: 0.
  CHECK(result.counts.too_easy == 2);
  CHECK(result.counts.correct_samples == 3 + 2 + 3);
  CHECK(result.counts.none_correct == 3);
  CHECK(result.counts.kept_items == 1);
  CHECK(result.counts.parse_failures == 3);
  CHECK(result.counts.hinted_attempts == 0);
  REQUIRE(result.examples.size() == 2);
  for (const RftExample& example : result.examples) {
    CHECK(example.item == 1);
    CHECK_FALSE(example.hinted);
    CHECK(query_of(example.prompt) == "mixed");
    // The kept critique, parsed and mapped back, ranks response 0 (quality 9) first.
    const ParsedScores parsed = parse_scores(example.critique, prompt.spec(3));
    REQUIRE(parsed.ok());
    CHECK(to_original_order(parsed.scores, example.order) == std::vector<int>{9, 3, 5});
  }
}

TEST_CASE("hinted sampling rescues an item with no correct critique, keeping the unhinted prompt", "[grm][rft]") {
  const PromptTemplate prompt(PromptOptions::from_config(spct::config::GrmSection{}));
  const std::vector<PreferenceItem> items = parse_preference_jsonl(kItems, "items.jsonl");
  ScenarioWriter writer;
  ScriptedSampler sampler(std::ref(writer));
  const RftResult result = RftFilter(prompt, RftOptions{3, 0.5, true}, sampler).select(items, 21);

  CHECK(sampler.calls == 2);
  // hard and broken get a hinted try (the single-response items do not); only hard's is correct.
  CHECK(result.counts.hinted_attempts == 2);
  CHECK(result.counts.hinted_kept == 1);
  CHECK(result.counts.kept_items == 2);
  CHECK(result.counts.parse_failures == 4);
  REQUIRE(result.examples.size() == 3);
  const RftExample& rescued = result.examples.back();
  CHECK(rescued.hinted);
  CHECK(rescued.item == 2);
  CHECK(rescued.prompt.find("The best response is") == std::string::npos);
  // The hinted prompt the sampler saw named the true best response at its shown position.
  const std::string& hinted_prompt = sampler.seen_prompts.at(18);
  const size_t best_position = rescued.order[0] == 1 ? 1 : 2;
  CHECK_THAT(hinted_prompt, Contains("The best response is: Response " + std::to_string(best_position)));
  CHECK(hinted_prompt.substr(0, hinted_prompt.find("\nThe best response is")) == rescued.prompt);
}

TEST_CASE("RFT rejects a bad sample count and a sampler that drops prompts", "[grm][rft]") {
  const PromptTemplate prompt(PromptOptions::from_config(spct::config::GrmSection{}));
  ScriptedSampler sampler([](const std::string& p, size_t) { return honest_critique(p); });
  CHECK_THROWS_AS(RftFilter(prompt, RftOptions{0, 0.5, false}, sampler), spct::UsageError);
  class DroppingSampler : public CritiqueSampler {
   public:
    std::vector<std::string> generate(const std::vector<std::string>&, double) override { return {}; }
  } dropping;
  const std::vector<PreferenceItem> items = parse_preference_jsonl(kItems, "items.jsonl");
  CHECK_THROWS_WITH(RftFilter(prompt, RftOptions{}, dropping).select(items, 0),
                    Contains("returned 0 texts for 18 prompts"));
}
