// The compact template, the oracle critique and the preference prompt source (prompts of GRM online RL).
#include <catch2/catch.hpp>
#include <fstream>

#include "core/error.h"
#include "orchestrator/data/preference_prompts.h"
#include "workers/reward/grm/critique_judge.h"
#include "workers/reward/grm/oracle_critique.h"
#include "workers/reward/grm/rft_filter.h"

using Catch::Matchers::Contains;
using spct::data::PreferencePrompts;
using spct::data::SyntheticPreferences;
using spct::grm::PreferenceItem;
using spct::grm::PromptOptions;
using spct::grm::PromptTemplate;

namespace {

PromptOptions compact_options(
    spct::config::GrmPromptTemplate prompt_template = spct::config::GrmPromptTemplate::kCompact) {
  spct::config::GrmSection grm;
  grm.prompt_template = prompt_template;
  return PromptOptions::from_config(grm);
}

PreferenceItem sum_item() {
  PreferenceItem item;
  item.query = "3+4=";
  item.responses = {"8", "7", "6"};
  item.truth = 1;
  return item;
}

}  // namespace

TEST_CASE("the compact template shows query, responses in order, hint and score cue", "[grm_train]") {
  const PromptTemplate prompt(compact_options());
  CHECK(prompt.render("3+4=", {"7", "8"}) == "Q:3+4= R1:7 R2:8 S:");
  CHECK(prompt.render("3+4=", {"7", "8"}, 1) == "Q:3+4= R1:7 R2:8 B:R2 S:");
  CHECK(prompt.render_single("3+4=", "7") == "Q:3+4= R:7 S:");
  // The full template is still the default.
  const PromptTemplate full(PromptOptions::from_config(spct::config::GrmSection{}));
  CHECK_THAT(full.render("3+4=", {"7", "8"}), Contains("[The Begin of Response 2]"));
  CHECK(full.render("3+4=", {"7", "8"}).size() > 1000);
}

TEST_CASE("oracle critiques are judged correct and give the truth back in shown order", "[grm_train]") {
  const PreferenceItem item = sum_item();
  for (const bool compact : {true, false}) {
    const PromptTemplate prompt(compact ? compact_options() : PromptOptions::from_config({}));
    for (const std::vector<int>& order : {std::vector<int>{0, 1, 2}, {2, 0, 1}, {1, 2, 0}}) {
      const std::string critique = spct::grm::oracle_critique(prompt, item, order);
      INFO(critique);
      CHECK(spct::grm::judge_critique(prompt, item, order, critique).correct);
      const auto truth = spct::grm::truth_from_reference(critique, 1, 10);
      REQUIRE(truth);
      CHECK(truth->responses == 3);
      CHECK(order[static_cast<size_t>(truth->truth)] == item.truth);
    }
  }
  const PromptTemplate prompt(compact_options());
  CHECK(spct::grm::oracle_critique(prompt, item, {2, 1, 0}) == "\\boxed{1,10,1}");
  PreferenceItem single{"3+4=", {"8"}, 0, "", "", {}, ""};
  CHECK(spct::grm::oracle_critique(prompt, single, {0}) == "\\boxed{0}");
  CHECK(spct::grm::truth_from_reference("\\boxed{0}", 1, 10)->truth == 0);
  CHECK_FALSE(spct::grm::truth_from_reference("7", 1, 10));
  // No strictly best response: a labelled item's critique, right above the middle of the range.
  const auto labelled = spct::grm::truth_from_reference("P:3 \\boxed{10,10,1}", 1, 10);
  REQUIRE(labelled);
  CHECK(labelled->labels == std::vector<int>{1, 1, 0});
  CHECK(spct::grm::truth_from_reference("\\boxed{1,1}", 1, 10)->labels == std::vector<int>{0, 0});
}

TEST_CASE("compact_principles: the same prompt, and oracle critiques that state the right answer first",
          "[grm_train]") {
  const PromptTemplate plain(compact_options());
  const PromptTemplate principled(compact_options(spct::config::GrmPromptTemplate::kCompactPrinciples));
  CHECK(principled.render("3+4=", {"7", "8"}, 1) == plain.render("3+4=", {"7", "8"}, 1));
  const PreferenceItem item = sum_item();
  for (const std::vector<int>& order : {std::vector<int>{0, 1, 2}, {2, 0, 1}}) {
    const std::string critique = spct::grm::oracle_critique(principled, item, order);
    INFO(critique);
    // The principle, then the same box as without it: judged and read back the same way.
    CHECK(critique == "P:7 " + spct::grm::oracle_critique(plain, item, order));
    CHECK(spct::grm::judge_critique(principled, item, order, critique).correct);
    CHECK(order[static_cast<size_t>(spct::grm::truth_from_reference(critique, 1, 10)->truth)] == item.truth);
  }
  // A single response's item does not say what is right when the response is wrong: no principle.
  PreferenceItem single{"3+4=", {"8"}, 0, "", "", {}, ""};
  CHECK(spct::grm::oracle_critique(principled, single, {0}) == "\\boxed{0}");
}

TEST_CASE("RftFilter renders compact prompts when the template is compact", "[grm_train]") {
  const PromptTemplate prompt(compact_options());
  std::vector<std::string> seen;
  struct Recorder : spct::grm::CritiqueSampler {
    std::vector<std::string>* seen;
    std::vector<std::string> generate(const std::vector<std::string>& prompts, double) override {
      seen->insert(seen->end(), prompts.begin(), prompts.end());
      return std::vector<std::string>(prompts.size(), "\\boxed{1,1,1}");
    }
  } recorder;
  recorder.seen = &seen;
  const spct::grm::RftFilter filter(prompt, {2, 0.5, true}, recorder);
  const auto result = filter.select({sum_item()}, 3);
  REQUIRE(seen.size() == 3);  // two samples, then one hinted
  for (const std::string& p : seen) CHECK(p.rfind("Q:3+4= R1:", 0) == 0);
  CHECK_THAT(seen[2], Contains(" B:R"));
  CHECK(result.counts.none_correct == 1);
}

TEST_CASE("preference prompts shuffle responses per item and carry the truth in the answer", "[grm_train]") {
  const auto items = std::make_shared<SyntheticPreferences>(
      spct::data::PreferenceTaskOptions{{spct::data::TaskKind::kAdd, 9, 3}, 3}, spct::data::Split::kTrain, 4, 64);
  const PreferencePrompts source(items, compact_options(), 4);
  const PromptTemplate prompt(compact_options());
  CHECK(source.size() == spct::data::kUnbounded);
  int moved = 0;
  for (uint64_t i = 0; i < 100; ++i) {
    const auto p = source.at(i);
    const PreferenceItem item = items->at(i);
    const std::vector<int> order = source.shown_order(i);
    INFO(p.prompt << " -> " << p.answer);
    CHECK(p.id == "preference/add/train/" + std::to_string(i));
    CHECK(p.prompt == spct::grm::render_item_prompt(prompt, item, order));
    const auto truth = spct::grm::truth_from_reference(p.answer, 1, 10);
    REQUIRE(truth);
    CHECK(item.responses[static_cast<size_t>(order[static_cast<size_t>(truth->truth)])] ==
          item.responses[static_cast<size_t>(item.truth)]);
    moved += order != std::vector<int>{0, 1, 2};
    CHECK(source.at(i) == p);  // the same index gives the same prompt
  }
  CHECK(moved > 60);  // 5 of 6 permutations move something
}

TEST_CASE("make_prompt_sources builds preference prompts from the task or a JSONL file", "[grm_train]") {
  spct::config::Config config;
  config.grm.prompt_template = spct::config::GrmPromptTemplate::kCompact;
  config.data.task = spct::config::DataTask::kPreference;
  config.data.eval_size = 20;
  const auto count = [](const spct::data::PromptItem& item) { return static_cast<int64_t>(item.prompt.size()); };
  const auto sources = spct::data::make_prompt_sources(config, count);
  REQUIRE(sources.eval);
  CHECK(sources.eval->size() == 20);
  CHECK(sources.train->at(0).prompt.rfind("Q:", 0) == 0);

  config.data.max_prompt_tokens = 10;
  CHECK_THROWS_WITH(spct::data::make_prompt_sources(config, count), Contains("data.max_prompt_tokens"));

  const std::string path = "grm_train_prefs.jsonl";
  std::ofstream(path) << R"({"prompt": "2+2=", "chosen": "4", "rejected": "5", "subset": "math"})"
                      << "\n"
                      << R"({"query": "1+1=", "responses": ["3", "2", "1"], "best": 1})"
                      << "\n";
  config = {};
  config.grm.prompt_template = spct::config::GrmPromptTemplate::kCompact;
  config.data.task = spct::config::DataTask::kNone;
  config.data.path = path;
  config.data.format = spct::config::DataFormat::kPreference;
  const auto file = spct::data::make_prompt_sources(config, count);
  REQUIRE(file.train->size() == 2);
  CHECK(file.train->at(1).id == path + ":2");
  CHECK_THAT(file.train->at(1).prompt, Contains("R3:"));
  CHECK(spct::grm::truth_from_reference(file.train->at(0).answer, 1, 10)->responses == 2);
  CHECK_THAT(file.train->fingerprint(), Contains("sha256="));
}
