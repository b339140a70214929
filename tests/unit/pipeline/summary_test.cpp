// The closing table of a pipeline, built from eval.json files as `spct eval` writes them.
#include "orchestrator/pipeline/summary.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "tests/unit/config/test_files.h"

using Catch::Matchers::Contains;
using spct::pipeline::build_summary;

namespace {

constexpr const char* kPolicyEval =
    R"({"target": "policy", "model": "runs/q/policy/model", "task": "add", "verifier": "exact_match",
        "items": 200, "correct": 50, "accuracy": 0.25, "truncated": 0, "seconds": 0.4, "examples": []})";

constexpr const char* kGrmEval = R"({"target": "grm", "model": "runs/q/grm_rl/model", "meta_model": "m",
    "items": 128, "critiques": 512, "parse_failures": 0, "sample_seconds": 1.5, "tie_breaking": "seeded",
    "methods": [
      {"name": "greedy", "k": 1, "voters": 1, "accuracy": 0.75, "correct": 96, "total": 128},
      {"name": "voting@4", "k": 4, "voters": 4, "accuracy": 0.8125, "correct": 104, "total": 128},
      {"name": "metarm@4", "k": 4, "voters": 2, "accuracy": 0.0, "correct": 0, "total": 128}]})";

}  // namespace

TEST_CASE("a summary has a row per policy eval and per GRM method, with items and standard errors", "[pipeline]") {
  spct::testing::TempDir dir;
  dir.write("before/eval.json", kPolicyEval);
  dir.write("grm/eval.json", kGrmEval);
  const spct::pipeline::Summary summary =
      build_summary("story", {{"before", dir.path() + "/before"}, {"grm", dir.path() + "/grm"}});
  REQUIRE(summary.rows.size() == 4);
  CHECK(summary.rows[0].stage == "before");
  CHECK(summary.rows[0].target == "policy");
  CHECK(summary.rows[0].accuracy == Approx(0.25));
  CHECK(summary.rows[0].items == 200);
  CHECK(summary.rows[0].std_error == Approx(std::sqrt(0.25 * 0.75 / 200)));
  CHECK(summary.rows[2].method == "voting@4");
  CHECK(summary.rows[2].correct == 104);
  CHECK(summary.rows[2].std_error == Approx(std::sqrt(0.8125 * 0.1875 / 128)));
  CHECK(summary.rows[3].std_error == 0);  // accuracy 0: no spread

  const std::string table = summary.markdown();
  CHECK_THAT(table, Contains("| before | policy | greedy verifier accuracy | 0.250 | 0.031 | 200 |"));
  CHECK_THAT(table, Contains("| grm | grm | greedy | 0.750 | 0.038 | 128 |"));
  CHECK_THAT(table, Contains("| grm | grm | metarm@4 | 0.000 | 0.000 | 128 |"));

  spct::pipeline::write_summary(summary, dir.path() + "/out");
  CHECK(spct::testing::read_file(dir.path() + "/out/summary.md") == table);
  const nlohmann::json doc = nlohmann::json::parse(spct::testing::read_file(dir.path() + "/out/summary.json"));
  CHECK(doc["pipeline"] == "story");
  REQUIRE(doc["rows"].size() == 4);
  CHECK(doc["rows"][1]["model"] == "runs/q/grm_rl/model");
  CHECK(doc["rows"][1]["correct"] == 96);
}

TEST_CASE("a GRPO stage gives the sampled verifier accuracy of its first and last steps", "[pipeline]") {
  spct::testing::TempDir dir;
  std::string metrics;
  for (int step = 0; step < 25; ++step) {
    // Steps 0-9 alternate 0.2 / 0.4; steps 15-24 alternate 0.6 / 0.8; a step without the key is skipped.
    const double accuracy = (step < 10 ? 0.2 : 0.6) + (step % 2 == 1 ? 0.2 : 0.0);
    metrics += "{\"step\": " + std::to_string(step) + ", \"verifier/accuracy\": " + std::to_string(accuracy) + "}\n";
    if (step == 12) metrics += "{\"step\": 12, \"time/step_s\": 0.1}\n";
  }
  dir.write("policy/metrics.jsonl", metrics);
  const spct::pipeline::Summary summary = build_summary("s", {{"policy", dir.path() + "/policy"}});
  REQUIRE(summary.rows.size() == 2);
  CHECK(summary.rows[0].method == "sampled verifier accuracy, first 10 steps");
  CHECK(summary.rows[0].accuracy == Approx(0.3));
  CHECK(summary.rows[0].items == 10);
  CHECK(summary.rows[0].std_error == Approx(std::sqrt(10 * 0.01 / 9.0 / 10)));
  CHECK(summary.rows[1].method == "sampled verifier accuracy, last 10 steps");
  CHECK(summary.rows[1].accuracy == Approx(0.7));
  dir.write("empty/metrics.jsonl", "{\"step\": 0, \"reward/mean\": 1}\n");
  CHECK_THROWS_WITH(build_summary("s", {{"empty", dir.path() + "/empty"}}),
                    Contains("empty/metrics.jsonl: no step has \"verifier/accuracy\""));
  dir.write("broken/metrics.jsonl", "{\"step\": 0, \"verifier/accuracy\": 1}\n{\"step\": 1,\n");
  CHECK_THROWS_WITH(build_summary("s", {{"broken", dir.path() + "/broken"}}),
                    Contains("broken/metrics.jsonl:2: not a JSON object"));
}

TEST_CASE("a policy eval with samples adds a sampled row whose standard error is over items", "[pipeline]") {
  spct::testing::TempDir dir;
  // 4 items, 4 samples each: 8 of 16 samples right, but concentrated on some items. The item means are 1, 0,
  // 0.5, 0.5: their sample variance is 1/6, so the standard error is sqrt(1/6 / 4), not the binomial
  // sqrt(0.25 / 16) = 0.125 that treats the 16 samples as independent.
  dir.write("after/eval.json", R"({"target": "policy", "model": "runs/q/policy/model", "task": "count",
      "verifier": "exact_match", "items": 4, "correct": 3, "accuracy": 0.75, "truncated": 0, "seconds": 0.1,
      "examples": [], "sampled": {"samples_per_item": 4, "temperature": 1.0, "completions": 16, "correct": 8,
      "accuracy": 0.5, "truncated": 1, "correct_per_item": [4, 0, 2, 2]}})");
  dir.write("even/eval.json", R"({"target": "policy", "model": "m", "items": 3, "correct": 0, "sampled":
      {"samples_per_item": 2, "correct_per_item": [1, 1, 1]}})");
  const spct::pipeline::Summary summary =
      build_summary("story", {{"after", dir.path() + "/after"}, {"even", dir.path() + "/even"}});
  REQUIRE(summary.rows.size() == 4);
  CHECK(summary.rows[0].method == "greedy verifier accuracy");
  CHECK(summary.rows[0].accuracy == Approx(0.75));
  const spct::pipeline::SummaryRow& sampled = summary.rows[1];
  CHECK(sampled.stage == "after");
  CHECK(sampled.target == "policy");
  CHECK(sampled.model == "runs/q/policy/model");
  CHECK(sampled.method == "sampled verifier accuracy, 4 samples per item");
  CHECK(sampled.correct == 8);
  CHECK(sampled.items == 16);
  CHECK(sampled.accuracy == Approx(0.5));
  CHECK(sampled.std_error == Approx(std::sqrt(1.0 / 6.0 / 4.0)));
  // Every item right half of the time: no spread between items, whatever the spread within them.
  CHECK(summary.rows[3].accuracy == Approx(0.5));
  CHECK(summary.rows[3].items == 6);
  CHECK(summary.rows[3].std_error == 0);
  CHECK_THAT(summary.markdown(),
             Contains("| after | policy | sampled verifier accuracy, 4 samples per item | 0.500 | 0.204 | 16 |"));

  dir.write("short/eval.json", R"({"target": "policy", "model": "m", "items": 3, "correct": 0, "sampled":
      {"samples_per_item": 2, "correct_per_item": [1, 1]}})");
  CHECK_THROWS_WITH(build_summary("s", {{"short", dir.path() + "/short"}}),
                    Contains("short/eval.json: \"sampled\": \"correct_per_item\" has 2 entries for 3 items"));
  dir.write("over/eval.json", R"({"target": "policy", "model": "m", "items": 2, "correct": 0, "sampled":
      {"samples_per_item": 2, "correct_per_item": [1, 3]}})");
  CHECK_THROWS_WITH(build_summary("s", {{"over", dir.path() + "/over"}}),
                    Contains("\"correct_per_item\"[1] is 3, outside [0, 2]"));
  dir.write("nok/eval.json", R"({"target": "policy", "model": "m", "items": 1, "correct": 0, "sampled":
      {"correct_per_item": [1]}})");
  CHECK_THROWS_WITH(build_summary("s", {{"nok", dir.path() + "/nok"}}),
                    Contains("nok/eval.json: \"sampled\": no \"samples_per_item\""));
}

TEST_CASE("a summary refuses missing or malformed eval results, naming the file", "[pipeline]") {
  spct::testing::TempDir dir;
  CHECK_THROWS_WITH(build_summary("s", {{"gone", dir.path() + "/gone"}}),
                    Contains(dir.path() + "/gone/eval.json: cannot read the eval result of stage 'gone'"));
  dir.write("trunc/eval.json", "{\"target\": \"policy\", \"model\"");
  CHECK_THROWS_AS(build_summary("s", {{"trunc", dir.path() + "/trunc"}}), spct::InputError);
  dir.write("nocount/eval.json", R"({"target": "policy", "model": "m", "items": 3})");
  CHECK_THROWS_WITH(build_summary("s", {{"nocount", dir.path() + "/nocount"}}),
                    Contains("nocount/eval.json: no \"correct\""));
  dir.write("typed/eval.json", R"({"target": "grm", "model": "m", "methods": [{"name": "greedy", "correct": "x",
                                   "total": 2}]})");
  CHECK_THROWS_WITH(build_summary("s", {{"typed", dir.path() + "/typed"}}),
                    Contains("\"correct\" has the wrong type: \"x\""));
  dir.write("other/eval.json", R"({"target": "rm", "model": "m"})");
  CHECK_THROWS_WITH(build_summary("s", {{"other", dir.path() + "/other"}}), Contains("not policy or grm"));
}

TEST_CASE("a summary compares the story's claimed trends on the same items", "[pipeline][stats]") {
  spct::testing::TempDir dir;
  // Two GRM evals of 4 items and two policy evals of 3 items, with per-item correctness.
  dir.write("rft/eval.json", R"({"target": "grm", "model": "rft", "methods": [
      {"name": "greedy", "correct": 2, "total": 4, "correct_per_item": [1, 1, 0, 0]},
      {"name": "voting@1", "correct": 1, "total": 4, "correct_per_item": [1, 0, 0, 0]},
      {"name": "voting@8", "correct": 3, "total": 4, "correct_per_item": [1, 1, 1, 0]}]})");
  dir.write("final/eval.json", R"({"target": "grm", "model": "rl", "methods": [
      {"name": "greedy", "correct": 4, "total": 4, "correct_per_item": [1, 1, 1, 1]},
      {"name": "voting@1", "correct": 2, "total": 4, "correct_per_item": [0, 1, 1, 0]},
      {"name": "voting@2", "correct": 2, "total": 4, "correct_per_item": [0, 1, 1, 0]},
      {"name": "voting@8", "correct": 3, "total": 4, "correct_per_item": [1, 1, 1, 0]},
      {"name": "metarm@8", "correct": 2, "total": 4, "correct_per_item": [1, 1, 0, 0]}]})");
  dir.write("before/eval.json", R"({"target": "policy", "model": "p0", "items": 3, "correct": 1,
      "correct_per_item": [1, 0, 0], "sampled": {"samples_per_item": 2, "correct_per_item": [1, 0, 0]}})");
  dir.write("after/eval.json", R"({"target": "policy", "model": "p1", "items": 3, "correct": 2,
      "correct_per_item": [1, 1, 0], "sampled": {"samples_per_item": 2, "correct_per_item": [2, 1, 0]}})");
  const spct::pipeline::Summary summary = build_summary("story", {{"before", dir.path() + "/before"},
                                                                  {"rft", dir.path() + "/rft"},
                                                                  {"final", dir.path() + "/final"},
                                                                  {"after", dir.path() + "/after"}});
  std::vector<std::string> names;
  for (const auto& c : summary.comparisons) names.push_back(c.name);
  CHECK(names == std::vector<std::string>{"voting@8 vs voting@1 (rft)", "voting@8 vs voting@1 (final)",
                                          "metarm@8 vs voting@8 (final)", "final vs rft: greedy",
                                          "final vs rft: voting@1", "final vs rft: voting@8",
                                          "after vs before: greedy verifier accuracy",
                                          "after vs before: sampled verifier accuracy, 2 samples per item"});
  // Each comparison is paired_difference of the two rows' item scores, B the later or the larger k.
  const auto& rft_voting = summary.comparisons[0].result;
  CHECK(rft_voting.difference == Approx(0.5));
  CHECK(rft_voting == spct::pipeline::paired_difference({1, 0, 0, 0}, {1, 1, 1, 0}));
  CHECK(summary.comparisons[2].result.difference == Approx(-0.25));
  CHECK(summary.comparisons[3].a == "rft: greedy");
  CHECK(summary.comparisons[3].b == "final: greedy");
  const auto& sampled = summary.comparisons[7].result;
  CHECK(sampled.accuracy_a == Approx(1.0 / 6));
  CHECK(sampled.accuracy_b == Approx(0.5));
  CHECK(sampled == spct::pipeline::paired_difference({0.5, 0, 0}, {1, 0.5, 0}));

  const std::string table = summary.markdown();
  CHECK_THAT(table, Contains("| comparison | A | B | B - A | ± s.e. | p | n |"));
  CHECK_THAT(table, Contains("| voting@8 vs voting@1 (rft) | 0.250 | 0.750 | +0.500 |"));
  CHECK_THAT(table, Contains("| metarm@8 vs voting@8 (final) | 0.750 | 0.500 | -0.250 |"));
  const nlohmann::json doc = nlohmann::json::parse(summary.json());
  REQUIRE(doc["comparisons"].size() == 8);
  CHECK(doc["comparisons"][0]["b"] == "rft: voting@8");
  CHECK(doc["comparisons"][0]["p_value"].get<double>() == Approx(rft_voting.p_value));

  dir.write("bad/eval.json", R"({"target": "policy", "model": "m", "items": 2, "correct": 1,
      "correct_per_item": [1, 2]})");
  CHECK_THROWS_WITH(build_summary("s", {{"bad", dir.path() + "/bad"}}),
                    Contains("bad/eval.json: \"correct_per_item\"[1] is 2, not 0 or 1"));
}

TEST_CASE("a GRPO stage whose GRM agreement or verifier accuracy falls is flagged as drift", "[pipeline]") {
  spct::testing::TempDir dir;
  // 30 steps. Agreement alternates 0.85 / 0.95 over the first 10 steps and 0.45 / 0.55 over the last 10 (and
  // is absent on step 12: no split pairs); the verifier accuracy alternates 0.3 / 0.4 throughout.
  std::string hacked;
  std::string steady;
  for (int step = 0; step < 30; ++step) {
    const double wobble = step % 2 == 1 ? 0.1 : 0.0;
    const double agreement = (step < 20 ? 0.85 : 0.45) + wobble;
    const std::string accuracy = "\"verifier/accuracy\": " + std::to_string(0.3 + wobble);
    hacked += "{\"step\": " + std::to_string(step) + ", " + accuracy;
    if (step != 12) hacked += ", \"grm/verifier_agreement\": " + std::to_string(agreement);
    hacked += "}\n";
    steady += "{\"step\": " + std::to_string(step) + ", " + accuracy +
              ", \"grm/verifier_agreement\": " + std::to_string(0.85 + wobble) + "}\n";
  }
  dir.write("hacked/metrics.jsonl", hacked);
  dir.write("steady/metrics.jsonl", steady);
  const spct::pipeline::Summary summary = build_summary("s", {{"hacked", dir.path() + "/hacked"}});
  REQUIRE(summary.rows.size() == 4);
  CHECK(summary.rows[2].target == "grm");
  CHECK(summary.rows[2].method == "GRM-verifier agreement on its samples, first 10 steps");
  CHECK(summary.rows[2].accuracy == Approx(0.9));
  CHECK(summary.rows[3].accuracy == Approx(0.5));
  // Each window's standard error is sqrt(10 * 0.05^2 / 9 / 10); the fall of 0.4 is many of them.
  const double window_error = std::sqrt(10 * 0.0025 / 9.0 / 10);
  CHECK(summary.rows[3].std_error == Approx(window_error));
  REQUIRE(summary.drift.size() == 1);
  CHECK_THAT(summary.drift[0], Contains("DRIFT in stage hacked: the GRM's agreement with the verifier") &&
                                   Contains("fell from 0.900 to 0.500"));
  CHECK_THAT(summary.markdown(), Contains(summary.drift[0]));
  CHECK(nlohmann::json::parse(summary.json())["drift"][0] == summary.drift[0]);
  CHECK(build_summary("s", {{"steady", dir.path() + "/steady"}}).drift.empty());

  // A policy eval worse than an earlier one on the same items beyond noise is drift too; better or within
  // noise is not. 40 items: right on the first 30 before, on the first 12 after (d = -1 on 18 items).
  std::string before = "[";
  std::string after = "[";
  std::string same = "[";
  for (int i = 0; i < 40; ++i) {
    const std::string sep = i == 0 ? "" : ", ";
    before += sep + (i < 30 ? "1" : "0");
    after += sep + (i < 12 ? "1" : "0");
    same += sep + (i < 29 || i == 35 ? "1" : "0");
  }
  const auto eval_json = [](const std::string& correct, int count) {
    return R"({"target": "policy", "model": "m", "items": 40, "correct": )" + std::to_string(count) +
           R"(, "correct_per_item": )" + correct + "]}";
  };
  dir.write("before/eval.json", eval_json(before, 30));
  dir.write("after/eval.json", eval_json(after, 12));
  dir.write("same/eval.json", eval_json(same, 30));
  const spct::pipeline::Summary fell =
      build_summary("s", {{"before", dir.path() + "/before"}, {"after", dir.path() + "/after"}});
  REQUIRE(fell.drift.size() == 1);
  CHECK_THAT(fell.drift[0], Contains("DRIFT between stages before and after: the policy's greedy verifier accuracy") &&
                                Contains("fell from 0.750 to 0.300"));
  CHECK(fell.comparisons.at(0).result.p_value < spct::pipeline::kDriftPValue);
  CHECK(build_summary("s", {{"before", dir.path() + "/before"}, {"same", dir.path() + "/same"}}).drift.empty());
  CHECK(build_summary("s", {{"after", dir.path() + "/after"}, {"before", dir.path() + "/before"}}).drift.empty());

  // Ablation arms: each trained policy is compared with the nearest earlier eval but judged for drift against
  // the first one (the policy before training). From a base of 12/40, arm A reaches 30/40 and arm B 20/40:
  // B is worse than A beyond noise, yet better than the base, so nothing drifted.
  std::string middle = "[";
  for (int i = 0; i < 40; ++i) middle += std::string(i == 0 ? "" : ", ") + (i < 20 ? "1" : "0");
  dir.write("arm_b/eval.json", eval_json(middle, 20));
  const spct::pipeline::Summary arms = build_summary(
      "s", {{"after", dir.path() + "/after"}, {"before", dir.path() + "/before"}, {"arm_b", dir.path() + "/arm_b"}});
  REQUIRE(arms.comparisons.size() == 2);
  CHECK(arms.comparisons[1].name == "arm_b vs before: greedy verifier accuracy");
  CHECK(arms.comparisons[1].result.difference < 0);
  CHECK(arms.comparisons[1].result.p_value < spct::pipeline::kDriftPValue);
  CHECK(arms.drift.empty());
  // An arm worse than the first eval is drift, named against the first, not against the nearer arm.
  const spct::pipeline::Summary worse = build_summary(
      "s", {{"before", dir.path() + "/before"}, {"same", dir.path() + "/same"}, {"after", dir.path() + "/after"}});
  REQUIRE(worse.drift.size() == 1);
  CHECK_THAT(worse.drift[0], Contains("DRIFT between stages before and after:"));
  CHECK(worse.comparisons[1].name == "after vs same: greedy verifier accuracy");
}
