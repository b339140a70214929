// Pipeline files: stages resolve to run directories and commands; every mistake is reported with its location.
#include "orchestrator/pipeline/pipeline.h"

#include <catch2/catch.hpp>

#include "core/error.h"
#include "orchestrator/pipeline/local_runner.h"
#include "tests/unit/config/test_files.h"

using Catch::Matchers::Contains;
using spct::pipeline::load_pipeline;

namespace {

constexpr const char* kConfig = "run:\n  steps: 3\nlayout:\n  colocate: true\n";

// A directory with configs/base.yaml and the pipeline text in pipelines/p.yaml; returns the pipeline's path.
std::string write_pipeline(const spct::testing::TempDir& dir, const std::string& text) {
  dir.write("configs/base.yaml", kConfig);
  return dir.write("pipelines/p.yaml", text);
}

std::string problems_of(const std::string& path, const std::vector<std::string>& extra = {}) {
  try {
    load_pipeline(path, extra);
  } catch (const spct::UsageError& e) {
    return e.what();
  }
  FAIL("the pipeline loaded without a problem");
  return "";
}

}  // namespace

TEST_CASE("stages get run directories, default dependencies and expanded references", "[pipeline]") {
  spct::testing::TempDir dir;
  const std::string path = write_pipeline(dir, "pipeline: {name: demo, dir: " + dir.path() +
                                                   "/runs}\n"
                                                   "stages:\n"
                                                   "  - name: first\n"
                                                   "    config: ../configs/base.yaml\n"
                                                   "  - name: second\n"
                                                   "    config: ../configs/base.yaml\n"
                                                   "    overrides: [run.steps=7]\n"
                                                   "  - name: third\n"
                                                   "    command: eval\n"
                                                   "    config: ../configs/base.yaml\n"
                                                   "    after: [first]\n"
                                                   "    overrides: ['data.path=${first}/x.jsonl', 'data.task=']\n");
  const spct::pipeline::Pipeline p = load_pipeline(path, {"run.seed=5"});
  REQUIRE(p.stages.size() == 3);
  CHECK(p.name == "demo");
  CHECK(p.dir == dir.path() + "/runs/demo");
  const auto& [first, second, third] = std::tie(p.stages[0], p.stages[1], p.stages[2]);
  CHECK(first.after.empty());
  CHECK(second.after == std::vector<std::string>{"first"});
  CHECK(third.after == std::vector<std::string>{"first"});
  CHECK(first.run_dir == p.dir + "/first");
  CHECK(first.config_path == dir.path() + "/configs/base.yaml");
  CHECK(second.config.run.steps == 7);
  CHECK(second.config.run.seed == 5);
  CHECK(second.config.run.dir == p.dir);
  CHECK(second.config.run.name == "second");
  CHECK(third.command == "eval");
  CHECK(third.config.data.path == first.run_dir + "/x.jsonl");
  CHECK(third.arguments() ==
        std::vector<std::string>{"eval", first.config_path, "data.path=" + first.run_dir + "/x.jsonl",
                                 "data.task=", "run.seed=5", "run.dir=" + p.dir, "run.name=third"});
  CHECK(p.find("second") == &p.stages[1]);
  CHECK(p.find("fourth") == nullptr);
}

TEST_CASE("a reference may reach a stage through a chain of dependencies", "[pipeline]") {
  spct::testing::TempDir dir;
  const std::string path =
      write_pipeline(dir,
                     "pipeline: {name: chain}\n"
                     "stages:\n"
                     "  - {name: a, config: ../configs/base.yaml}\n"
                     "  - {name: b, config: ../configs/base.yaml}\n"
                     "  - {name: c, config: ../configs/base.yaml, overrides: ['data.eval_path=${a}/d']}\n");
  const spct::pipeline::Pipeline p = load_pipeline(path, {});
  CHECK(p.stages[2].config.data.eval_path == p.stages[0].run_dir + "/d");
}

TEST_CASE("structural mistakes are all reported, each with file, line and column", "[pipeline]") {
  spct::testing::TempDir dir;
  const std::string path = write_pipeline(dir,
                                          "pipeline: {name: bad}\n"               // 1
                                          "stages:\n"                             // 2
                                          "  - name: a\n"                         // 3
                                          "    config: ../configs/base.yaml\n"    // 4
                                          "    overides: [run.steps=2]\n"         // 5
                                          "  - name: a\n"                         // 6
                                          "    config: ../configs/base.yaml\n"    // 7
                                          "  - name: c\n"                         // 8
                                          "    command: serve\n"                  // 9
                                          "    config: ../configs/base.yaml\n"    // 10
                                          "    after: [d]\n"                      // 11
                                          "  - name: d\n"                         // 12
                                          "    config: ../configs/base.yaml\n");  // 13
  const std::string what = problems_of(path);
  CHECK_THAT(what, Contains("p.yaml:5:5: unknown key 'overides' in a stage"));
  CHECK_THAT(what, Contains("p.yaml:6:11: stage name 'a' is already used at"));
  CHECK_THAT(what, Contains("p.yaml:9:14: command 'serve' is not one of: train, eval"));
  CHECK_THAT(what, Contains("p.yaml:11:13: after: 'd' is not a stage declared before 'c'"));
  CHECK_THAT(what, Contains("4 problem(s)"));
}

TEST_CASE("references must name a stage the stage waits for", "[pipeline]") {
  spct::testing::TempDir dir;
  const std::string path =
      write_pipeline(dir,
                     "pipeline: {name: refs}\n"
                     "stages:\n"
                     "  - {name: a, config: ../configs/base.yaml}\n"
                     "  - name: b\n"
                     "    config: ../configs/base.yaml\n"
                     "    after: []\n"
                     "    overrides: ['data.path=${a}/x', 'data.eval_path=${nope}/y', 'model.path=${a']\n");
  const std::string what = problems_of(path);
  CHECK_THAT(what, Contains("p.yaml:7:17: '${a}': stage 'b' does not run after 'a'"));
  CHECK_THAT(what, Contains("'${nope}': no stage is called 'nope'"));
  CHECK_THAT(what, Contains("unterminated '${' in 'model.path=${a'"));
}

TEST_CASE("each stage's config must exist and load with its overrides", "[pipeline]") {
  spct::testing::TempDir dir;
  const std::string path =
      write_pipeline(dir,
                     "pipeline: {name: cfg}\n"
                     "stages:\n"
                     "  - {name: a, config: ../configs/missing.yaml}\n"
                     "  - {name: b, config: ../configs/base.yaml, overrides: [rollout.group_sise=4]}\n"
                     "  - {name: c, config: ../configs/base.yaml, overrides: [run.name=mine]}\n"
                     "  - {name: d, config: ../configs/base.yaml, overrides: [steps]}\n");
  const std::string what = problems_of(path);
  CHECK_THAT(what, Contains("p.yaml:3:23: stage 'a': config file " + dir.path() + "/configs/missing.yaml not found"));
  CHECK_THAT(what, Contains("p.yaml:4:23: stage 'b': its config does not load with its overrides"));
  CHECK_THAT(what, Contains("rollout.group_sise"));
  CHECK_THAT(what, Contains("run.dir and run.name are set by the pipeline"));
  CHECK_THAT(what, Contains("override 'steps' is not section.key=value"));
}

TEST_CASE("the command line may not move a pipeline's runs", "[pipeline]") {
  spct::testing::TempDir dir;
  const std::string path =
      write_pipeline(dir, "pipeline: {name: x}\nstages:\n  - {name: a, config: ../configs/base.yaml}\n");
  CHECK_THROWS_WITH(load_pipeline(path, {"run.dir=/elsewhere"}), Contains("run.dir and run.name"));
  CHECK_THAT(problems_of(dir.write("q.yaml", "pipeline: {name: 'a b'}\nstages: []\n")),
             Contains("pipeline name 'a b' may hold only"));
}

TEST_CASE("pipeline files are told apart from experiment configs", "[pipeline]") {
  spct::testing::TempDir dir;
  CHECK(spct::pipeline::is_pipeline_file(write_pipeline(dir, "pipeline: {name: x}\nstages: []\n")));
  CHECK_FALSE(spct::pipeline::is_pipeline_file(dir.path() + "/configs/base.yaml"));
  CHECK_THROWS_AS(spct::pipeline::is_pipeline_file(dir.path() + "/none.yaml"), spct::UsageError);
}

TEST_CASE("a stage counts as finished only when its status file says so", "[pipeline]") {
  spct::testing::TempDir dir;
  spct::pipeline::Stage stage;
  stage.run_dir = dir.path() + "/run";
  CHECK_FALSE(spct::pipeline::stage_finished(stage));
  dir.write("run/status.json", "{\"state\": \"running\", \"step\": 3}\n");
  CHECK_FALSE(spct::pipeline::stage_finished(stage));
  dir.write("run/status.json", "{\"state\": \"fini");
  CHECK_FALSE(spct::pipeline::stage_finished(stage));
  dir.write("run/status.json", "{\"state\":\"finished\",\"step\":3}\n");
  CHECK(spct::pipeline::stage_finished(stage));
}

TEST_CASE("the GRPO job needs its layout's ranks, eval and the single-process jobs need one", "[pipeline]") {
  spct::config::Config config;
  config.layout.learners = 2;
  CHECK(spct::pipeline::run_ranks(config, "train") == 5);
  CHECK(spct::pipeline::run_ranks(config, "eval") == 1);
  config.run.job = spct::config::Job::kMetaRm;
  CHECK(spct::pipeline::run_ranks(config, "train") == 1);
  config.run.job = spct::config::Job::kGrpo;
  config.layout.colocate = true;
  CHECK(spct::pipeline::run_ranks(config, "train") == 1);
}
