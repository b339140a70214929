#include "workers/reward/grm/group_scorer.h"

#include <catch2/catch.hpp>
#include <set>

#include "core/error.h"
#include "scripted_sampler.h"

using namespace spct::grm;
using namespace spct::grm::testing;
using Catch::Matchers::Contains;

namespace {

PromptTemplate make_template() {
  return PromptTemplate(PromptOptions::from_config(spct::config::GrmSection{}));
}

std::vector<std::string> responses_with_quality(const std::vector<int>& qualities) {
  std::vector<std::string> out;
  for (size_t i = 0; i < qualities.size(); ++i) {
    out.push_back("answer " + std::to_string(i) + " quality=" + std::to_string(qualities[i]));
  }
  return out;
}

GroupInput as_input(const std::string& query, const std::vector<std::string>& responses) {
  GroupInput input{query, {}};
  for (const std::string& r : responses) input.responses.push_back(r);
  return input;
}

// A meta RM that trusts critiques whose first shown response has higher quality (any fixed rule will do).
class FirstShownRater : public CritiqueRater {
 public:
  std::vector<double> rate(const std::vector<std::string>& prompts, const std::vector<std::string>&) override {
    std::vector<double> out;
    out.reserve(prompts.size());
    for (const std::string& p : prompts) out.push_back(quality_of(shown_responses(p).at(0)));
    return out;
  }
};

}  // namespace

TEST_CASE("shuffled critiques vote back to the original order, all groups in one batch", "[grm][scorer]") {
  const PromptTemplate prompt = make_template();
  ScriptedSampler sampler([](const std::string& p, size_t) { return honest_critique(p); });
  ScorerOptions options;
  options.samples = 6;
  options.temperature = 0.5;
  const GroupScorer scorer(prompt, options, sampler);
  const auto a = responses_with_quality({3, 9, 6, 1});
  const auto b = responses_with_quality({7, 2});
  const std::vector<GroupScore> scores = scorer.score({as_input("query A", a), as_input("query B", b)}, 11);

  CHECK(sampler.calls == 1);
  CHECK(sampler.last_temperature == 0.5);
  CHECK(sampler.seen_prompts.size() == 12);
  REQUIRE(scores.size() == 2);
  REQUIRE(scores[0].ok());
  CHECK(scores[0].totals == std::vector<double>{18, 54, 36, 6});
  CHECK(scores[0].scaled[1] == Approx((9.0 - 1) / 9));
  CHECK(scores[1].totals == std::vector<double>{42, 12});
  CHECK(scores[0].voters_per_chunk == 6);
  CHECK(scores[0].parse_failures == 0);

  // The samples really saw different orders, and each record's order says which response was where.
  std::set<std::vector<int>> orders;
  for (const CritiqueRecord& record : scores[0].critiques) {
    orders.insert(record.order);
    CHECK(record.voted);
    const auto shown = shown_responses(record.prompt);
    for (size_t p = 0; p < shown.size(); ++p) CHECK(shown[p] == a[static_cast<size_t>(record.order[p])]);
  }
  CHECK(orders.size() > 1);

  // Same seed, same prompts; another seed, other shuffles.
  ScriptedSampler again([](const std::string& p, size_t) { return honest_critique(p); });
  GroupScorer(prompt, options, again).score({as_input("query A", a), as_input("query B", b)}, 11);
  CHECK(again.seen_prompts == sampler.seen_prompts);
  ScriptedSampler other([](const std::string& p, size_t) { return honest_critique(p); });
  GroupScorer(prompt, options, other).score({as_input("query A", a), as_input("query B", b)}, 12);
  CHECK(other.seen_prompts != sampler.seen_prompts);
}

TEST_CASE("a group over max_responses_per_pass is scored in chunks with k critiques each", "[grm][scorer]") {
  const PromptTemplate prompt = make_template();
  ScriptedSampler sampler([](const std::string& p, size_t) { return honest_critique(p); });
  ScorerOptions options;
  options.samples = 3;
  options.max_responses_per_pass = 4;
  const auto group = responses_with_quality({1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  const std::vector<GroupScore> scores = GroupScorer(prompt, options, sampler).score({as_input("q", group)}, 5);
  REQUIRE(scores[0].ok());
  // 10 responses, at most 4 a pass: chunks of 4, 3, 3, each with 3 critiques.
  CHECK(sampler.seen_prompts.size() == 9);
  CHECK(shown_responses(sampler.seen_prompts[0]).size() == 4);
  CHECK(shown_responses(sampler.seen_prompts[3]).size() == 3);
  CHECK(shown_responses(sampler.seen_prompts[8]).size() == 3);
  CHECK(scores[0].totals == std::vector<double>{3, 6, 9, 12, 15, 18, 21, 24, 27, 30});
  CHECK(scores[0].critiques[4].chunk == 1);
  for (const int member : scores[0].critiques[4].order) CHECK((member >= 4 && member <= 6));
}

TEST_CASE("parse failures follow the configured fallback per chunk", "[grm][scorer]") {
  const PromptTemplate prompt = make_template();
  // Every third critique forgets its box.
  const auto flaky = [](const std::string& p, size_t i) {
    return i % 3 == 2 ? std::string("Analysis: both are fine. Scores: 5, 5") : honest_critique(p);
  };
  const auto group = responses_with_quality({4, 8});
  ScorerOptions options;
  options.samples = 3;

  ScriptedSampler skip_sampler(flaky);
  const GroupScore skipped = GroupScorer(prompt, options, skip_sampler).score({as_input("q", group)}, 1)[0];
  REQUIRE(skipped.ok());
  CHECK(skipped.parse_failures == 1);
  CHECK(skipped.totals == std::vector<double>{12, 24});  // (4 + 4) * 3 / 2, (8 + 8) * 3 / 2
  CHECK(skipped.critiques[2].parsed.status == ParseStatus::kNoBoxed);

  options.vote.fallback = ParseFallback::kMiddle;
  ScriptedSampler middle_sampler(flaky);
  const GroupScore middle = GroupScorer(prompt, options, middle_sampler).score({as_input("q", group)}, 1)[0];
  CHECK(middle.totals == std::vector<double>{4 + 4 + 5.5, 8 + 8 + 5.5});

  options.vote.fallback = ParseFallback::kFail;
  ScriptedSampler fail_sampler(flaky);
  const GroupScore failed = GroupScorer(prompt, options, fail_sampler).score({as_input("q", group)}, 1)[0];
  CHECK_FALSE(failed.ok());
  CHECK_THAT(failed.error, Contains("chunk 0: critique sample 2: no_boxed"));
  CHECK(failed.critiques.size() == 3);
}

TEST_CASE("with a meta RM only the top k_meta critiques vote", "[grm][scorer]") {
  const PromptTemplate prompt = make_template();
  // Critiques that saw response 0 first are honest; the others swap the two scores. The rater trusts
  // critiques whose first shown response has the higher quality, i.e. those that saw response 1 (quality 9)
  // first and therefore lied: the vote must follow the rater, not the majority.
  const auto writer = [](const std::string& p, size_t) {
    const auto shown = shown_responses(p);
    const int first = quality_of(shown[0]);
    const int second = quality_of(shown[1]);
    return "\\boxed{" + std::to_string(first == 2 ? first : second) + ", " +
           std::to_string(first == 2 ? second : first) + "}";
  };
  ScriptedSampler sampler(writer);
  FirstShownRater rater;
  ScorerOptions options;
  options.samples = 8;
  const auto group = responses_with_quality({2, 9});
  const GroupScore score = GroupScorer(prompt, options, sampler, &rater).score({as_input("q", group)}, 3)[0];
  REQUIRE(score.ok());
  CHECK(score.voters_per_chunk == 4);
  int voted = 0;
  int liars = 0;
  for (const CritiqueRecord& record : score.critiques) {
    voted += record.voted ? 1 : 0;
    if (record.order[0] == 1) ++liars;
    if (record.voted) CHECK(record.meta_score == 9);
  }
  CHECK(voted == 4);
  REQUIRE(liars >= 4);  // with this seed the shuffles put response 1 first at least 4 times in 8
  // Every voter is a liar (rating 9 beats 2): response 0 gets 9 from each, response 1 gets 2.
  CHECK(score.totals == std::vector<double>{36, 8});
}

TEST_CASE("a sampler that returns the wrong number of texts is reported", "[grm][scorer]") {
  const PromptTemplate prompt = make_template();
  class ShortSampler : public CritiqueSampler {
   public:
    std::vector<std::string> generate(const std::vector<std::string>& prompts, double) override {
      return std::vector<std::string>(prompts.size() - 1, "\\boxed{1, 1}");
    }
  } sampler;
  const auto group = responses_with_quality({1, 2});
  CHECK_THROWS_WITH(GroupScorer(prompt, ScorerOptions{}, sampler).score({as_input("q", group)}, 0),
                    Contains("returned 7 results for 8 prompts"));
  ScorerOptions bad;
  bad.max_responses_per_pass = 1;
  CHECK_THROWS_AS(GroupScorer(prompt, bad, sampler), spct::UsageError);
}

TEST_CASE("scorer options come from the grm config section", "[grm][scorer]") {
  spct::config::GrmSection grm;
  grm.samples = 16;
  grm.temperature = 0.7;
  grm.max_responses_per_pass = 4;
  const ScorerOptions options = ScorerOptions::from_config(grm);
  CHECK(options.samples == 16);
  CHECK(options.temperature == 0.7);
  CHECK(options.max_responses_per_pass == 4);
  CHECK(options.vote.fallback == ParseFallback::kSkip);
}
