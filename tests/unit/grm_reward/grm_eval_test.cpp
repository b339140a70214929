// GRM evaluation: greedy, voting@k and MetaRM@k accuracy per subset and section, from one greedy and one
// sampled pass, with seeded tie-breaking. The GRM is a scripted sampler whose critiques are right or wrong by
// design, so every accuracy below follows from the rules in orchestrator/eval/grm_eval.h.
#include "orchestrator/eval/grm_eval.h"

#include <catch2/catch.hpp>
#include <map>

#include "core/error.h"
#include "grm_test_support.h"
#include "orchestrator/eval/eval_report.h"

using namespace spct;
using namespace spct::eval;
using namespace spct::reward::testing;
using Catch::Matchers::Contains;

namespace {

grm::PreferenceItem pair_item(const std::string& query, const std::string& chosen, const std::string& rejected,
                              const std::string& subset) {
  return {query, {chosen, rejected}, 0, subset, "test:" + query, {}, ""};
}

// Responses say whether they are right: "good ..." or "bad ...". A critique at temperature 0 always scores the
// good one 9 and the bad one 2; sampled critique number s of an item (s counted from 0 within the item) is
// right when s is in `right_samples`, else it scores them the other way round. Unparsable when the query asks.
class EvalSampler : public grm::CritiqueSampler {
 public:
  EvalSampler(int samples_per_item, std::vector<int> right_samples)
      : samples_per_item_(samples_per_item), right_samples_(std::move(right_samples)) {}

  std::vector<std::string> generate(const std::vector<std::string>& prompts, double temperature) override {
    ++calls;
    std::vector<std::string> out;
    for (size_t i = 0; i < prompts.size(); ++i) {
      const bool right = temperature == 0 || std::find(right_samples_.begin(), right_samples_.end(),
                                                       static_cast<int>(i) % samples_per_item_) != right_samples_.end();
      if (prompts[i].find("unparsable") != std::string::npos) {
        out.push_back("Analysis: hmm.");
        continue;
      }
      std::vector<int> scores;
      for (const std::string& shown : shown_responses(prompts[i])) {
        const bool good = shown.rfind("good", 0) == 0;
        scores.push_back(good == right ? 9 : 2);
      }
      out.push_back(critique_with_scores(scores));
    }
    return out;
  }

  int calls = 0;

 private:
  const int samples_per_item_;
  const std::vector<int> right_samples_;
};

const GrmMethodResult& method(const GrmEvalResult& result, const std::string& name) {
  for (const GrmMethodResult& m : result.methods) {
    if (m.name == name) return m;
  }
  FAIL("no method " << name);
  return result.methods.front();
}

}  // namespace

TEST_CASE("voting@k uses the first k of one set of critiques, accuracy per subset and section", "[grm_eval]") {
  const std::vector<grm::PreferenceItem> items = {
      pair_item("q1", "good a", "bad a", "alpacaeval-easy"), pair_item("q2", "good b", "bad b", "math-prm"),
      pair_item("q3", "good c", "bad c", "math-prm"), pair_item("q4 unparsable", "good d", "bad d", "math-prm")};
  // Of 4 critiques per item, 0 is wrong and 1, 2, 3 are right: voting@1 wrong, voting@2 a tie (9+2 vs 2+9),
  // voting@4 right (3 of 4).
  EvalSampler sampler(4, {1, 2, 3});
  config::GrmSection grm;
  const GrmEvalResult result = evaluate_grm(items, grm, {{1, 2, 4}, 7}, sampler, nullptr);

  CHECK(sampler.calls == 2);  // one greedy pass, one sampled pass, for all items
  CHECK(result.items == 4);
  CHECK(result.critiques == int64_t{4} * (1 + 4));
  CHECK(result.parse_failures == 5);  // every critique of the unparsable item
  REQUIRE(result.methods.size() == 4);
  CHECK(result.methods[0].name == "greedy");

  // Greedy is always right where it parses: 3 of 4; the unparsable item's vote fails and counts wrong.
  CHECK(method(result, "greedy").accuracy.overall().correct == 3);
  CHECK(method(result, "greedy").vote_failures == 1);
  CHECK(method(result, "voting@1").accuracy.overall().correct == 0);
  CHECK(method(result, "voting@4").accuracy.overall().correct == 3);
  CHECK(method(result, "voting@4").voters == 4);

  // Sections: alpacaeval-easy is Chat, math-prm is Reasoning; the headline is their plain mean.
  const auto sections = method(result, "voting@4").accuracy.per_section();
  REQUIRE(sections.size() == 2);
  CHECK(sections[0].name == "Chat");
  CHECK(sections[0].value() == 1.0);
  CHECK(sections[1].name == "Reasoning");
  CHECK(sections[1].correct == 2);
  CHECK(sections[1].total == 3);
  CHECK(*method(result, "voting@4").accuracy.headline() == Approx((1.0 + 2.0 / 3) / 2));
}

TEST_CASE("ties are broken by a seeded shuffle: reproducible, and right about half the time", "[grm_eval]") {
  std::vector<grm::PreferenceItem> items;
  items.reserve(200);
  for (int i = 0; i < 200; ++i) {
    items.push_back(pair_item("q" + std::to_string(i), "good", "bad", "s"));
  }
  // Critique 0 right, critique 1 wrong: every voting@2 is a 11-11 tie.
  EvalSampler sampler(2, {0});
  const GrmEvalResult a = evaluate_grm(items, config::GrmSection{}, {{1, 2}, 3}, sampler, nullptr);
  const GrmEvalResult b = evaluate_grm(items, config::GrmSection{}, {{1, 2}, 3}, sampler, nullptr);
  const int64_t tie_correct = method(a, "voting@2").accuracy.overall().correct;
  CHECK(tie_correct == method(b, "voting@2").accuracy.overall().correct);
  CHECK(tie_correct > 70);
  CHECK(tie_correct < 130);
  CHECK(method(a, "voting@1").accuracy.overall().correct == 200);
}

TEST_CASE("MetaRM@k votes over the critiques the meta RM rates highest among the first k", "[grm_eval]") {
  const std::vector<grm::PreferenceItem> items = {pair_item("q1", "good", "bad", "s"),
                                                  pair_item("q2", "good", "bad", "s")};
  // Per item: critiques 0, 1 wrong; 2, 3 right. The meta RM trusts 2 and 3 (ratings by batch position).
  EvalSampler sampler(4, {2, 3});
  FixedRater rater({0.1, 0.2, 5, 6, 0.1, 0.2, 5, 6});
  config::GrmSection grm;
  const GrmEvalResult result = evaluate_grm(items, grm, {{2, 4}, 1}, sampler, &rater);

  CHECK(method(result, "voting@2").accuracy.overall().correct == 0);
  CHECK(method(result, "metarm@4").voters == 2);
  CHECK(method(result, "metarm@4").accuracy.overall().correct == 2);
  CHECK(method(result, "metarm@2").voters == 1);
  CHECK(method(result, "metarm@2").accuracy.overall().correct == 0);  // only wrong critiques among the first 2

  // grm.meta_samples fixes k_meta, capped at k.
  grm.meta_samples = 3;
  const GrmEvalResult fixed = evaluate_grm(items, grm, {{2, 4}, 1}, sampler, &rater);
  CHECK(method(fixed, "metarm@4").voters == 3);
  CHECK(method(fixed, "metarm@2").voters == 2);
}

TEST_CASE("the eval report states tie handling and keeps every method's accuracy", "[grm_eval]") {
  const std::vector<grm::PreferenceItem> items = {pair_item("q1", "good", "bad", "alpacaeval-easy"),
                                                  pair_item("q2", "good", "bad", "refusals-dangerous")};
  EvalSampler sampler(2, {0, 1});
  const GrmEvalResult result = evaluate_grm(items, config::GrmSection{}, {{2}, 1}, sampler, nullptr);
  config::Config config;
  config.grm.model_path = "runs/grm/model";
  const nlohmann::json json = grm_report_json(result, config);
  CHECK(json["target"] == "grm");
  CHECK(json["model"] == "runs/grm/model");
  CHECK(json["items"] == 2);
  CHECK(json["methods"].size() == 2);
  CHECK(json["methods"][1]["name"] == "voting@2");
  CHECK(json["methods"][1]["accuracy"] == 1.0);
  CHECK(json["methods"][1]["sections"]["Safety"]["total"] == 1);
  CHECK(json["methods"][1]["subsets"]["alpacaeval-easy"]["correct"] == 1);
  CHECK(std::string(json["tie_breaking"]).find("seeded shuffle") != std::string::npos);

  const std::string table = grm_table(result);
  CHECK_THAT(table, Contains("voting@2") && Contains("1.000 (2/2)") && Contains("Safety") && Contains("Ties:"));
}

TEST_CASE("GRM evaluation refuses what it cannot score", "[grm_eval]") {
  EvalSampler sampler(1, {0});
  const config::GrmSection grm;
  CHECK_THROWS_AS(evaluate_grm({}, grm, {{1}, 1}, sampler, nullptr), UsageError);
  const grm::PreferenceItem single{"q", {"7"}, 1, "", "data.jsonl:3", {}, ""};
  CHECK_THROWS_WITH(evaluate_grm({single}, grm, {{1}, 1}, sampler, nullptr), Contains("data.jsonl:3"));
  CHECK_THROWS_AS(evaluate_grm({pair_item("q", "good", "bad", "")}, grm, {{}, 1}, sampler, nullptr), UsageError);
}
