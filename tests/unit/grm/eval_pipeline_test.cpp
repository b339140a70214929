// The evaluation path end to end at the text level: preference JSONL on disk -> GRM prompts -> sampled critiques
// -> parse -> voting -> tie-broken pick -> accuracy per subset and section.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "scripted_sampler.h"
#include "workers/reward/grm/correctness.h"
#include "workers/reward/grm/preference_data.h"
#include "workers/reward/grm/preference_eval.h"

using namespace spct::grm;
using namespace spct::grm::testing;

namespace {

// Writes RewardBench-shaped pairs in four subsets: the chosen response carries quality=8, the rejected quality=3.
std::string write_items(int pairs_per_subset) {
  const auto path = std::filesystem::temp_directory_path() / ("spct-grm-eval-" + std::to_string(::getpid()) + ".jsonl");
  std::ofstream out(path);
  for (const char* subset : {"mt-bench-easy", "llmbar-natural", "donotanswer", "math-prm"}) {
    for (int i = 0; i < pairs_per_subset; ++i) {
      out << R"({"prompt": "question )" << i << R"(", "chosen": "good answer quality=8", "rejected": "bad answer )"
          << R"(quality=3", "subset": ")" << subset << "\"}\n";
    }
  }
  return path.string();
}

PreferenceEval evaluate(const std::vector<PreferenceItem>& items, CritiqueSampler& sampler, uint64_t seed) {
  const PromptTemplate prompt(PromptOptions::from_config(spct::config::GrmSection{}));
  ScorerOptions options;
  options.samples = 4;
  const GroupScorer scorer(prompt, options, sampler);
  std::vector<GroupInput> groups;
  for (const PreferenceItem& item : items) {
    GroupInput group{item.query, {}};
    for (const std::string& r : item.responses) group.responses.push_back(r);
    groups.push_back(group);
  }
  const std::vector<GroupScore> scores = scorer.score(groups, seed);
  PreferenceEval eval;
  for (size_t i = 0; i < items.size(); ++i) {
    REQUIRE(scores[i].ok());
    eval.add(items[i].subset, eval_pick_best(scores[i].totals, derive_seed(seed, i)) == items[i].truth);
  }
  return eval;
}

}  // namespace

TEST_CASE("an honest GRM scores 100% on every section, an indifferent one scores chance", "[grm][eval]") {
  const std::string path = write_items(50);
  const std::vector<PreferenceItem> items = load_preference_jsonl(path);
  std::filesystem::remove(path);
  REQUIRE(items.size() == 200);

  ScriptedSampler honest([](const std::string& p, size_t) { return honest_critique(p); });
  const PreferenceEval good = evaluate(items, honest, 3);
  REQUIRE(good.per_section().size() == 4);
  for (const Accuracy& section : good.per_section()) CHECK(section.value() == 1.0);
  CHECK(good.headline() == Approx(1.0));

  // Every critique ties the two responses: evaluation breaks each tie by a seeded shuffle, so about half are
  // right (training would count all of them wrong).
  ScriptedSampler indifferent([](const std::string&, size_t) { return std::string("Scores: \\boxed{5, 5}"); });
  const PreferenceEval tied = evaluate(items, indifferent, 3);
  CHECK(tied.overall().value() > 0.35);
  CHECK(tied.overall().value() < 0.65);
  const PreferenceEval again = evaluate(items, indifferent, 3);
  CHECK(again.overall().correct == tied.overall().correct);
}
