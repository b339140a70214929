// The closing table of a pipeline, built from eval.json files as `spct eval` writes them.
#include "orchestrator/pipeline/summary.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"
#include "tests/unit/config/test_files.h"

using Catch::Matchers::Contains;
using spct::pipeline::build_summary;
using spct::pipeline::EvalStageDir;

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

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

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
  CHECK(read(dir.path() + "/out/summary.md") == table);
  const nlohmann::json doc = nlohmann::json::parse(read(dir.path() + "/out/summary.json"));
  CHECK(doc["pipeline"] == "story");
  REQUIRE(doc["rows"].size() == 4);
  CHECK(doc["rows"][1]["model"] == "runs/q/grm_rl/model");
  CHECK(doc["rows"][1]["correct"] == 96);
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
