// Inline stage configs, report stages and the embedded quickstart story: checked where they are written, written
// to a file that loads back to the same config, and the embedded story equal to configs/quickstart.yaml.
#include <catch2/catch.hpp>
#include <filesystem>

#include "core/config/loader.h"
#include "core/config/render.h"
#include "core/error.h"
#include "orchestrator/pipeline/pipeline.h"
#include "tests/unit/config/test_files.h"

using Catch::Matchers::Contains;
using spct::pipeline::load_pipeline;

namespace {

std::string problems_of(const std::string& path) {
  try {
    load_pipeline(path, {});
  } catch (const spct::UsageError& e) {
    return e.what();
  }
  FAIL("the pipeline loaded without a problem");
  return "";
}

}  // namespace

TEST_CASE("an inline config is a stage's config, written to a file that loads to the same config", "[pipeline]") {
  spct::testing::TempDir dir;
  dir.write("base.yaml", "grpo:\n  lr: 0.0007\n");
  const std::string path = dir.write("p.yaml", "pipeline: {name: inl, dir: " + dir.path() +
                                                   "/runs}\n"
                                                   "stages:\n"
                                                   "  - name: first\n"
                                                   "    config:\n"
                                                   "      extends: base.yaml\n"
                                                   "      run: {steps: 3, seed: 7}\n"
                                                   "      layout: {colocate: true}\n"
                                                   "      rollout: {stop: [\"}\", \"a: b\"], temperature: 0.5}\n"
                                                   "  - name: second\n"
                                                   "    config: {run: {steps: 2}, layout: {colocate: true}}\n"
                                                   "    overrides: ['model.path=${first}/model']\n");
  const spct::pipeline::Pipeline p = load_pipeline(path, {});
  REQUIRE(p.stages.size() == 2);
  const spct::pipeline::Stage& first = p.stages[0];
  CHECK(first.config_path == dir.path() + "/runs/inl/first.config.yaml");
  CHECK(first.config.run.steps == 3);
  CHECK(first.config.run.seed == 7);
  CHECK(first.config.grpo.lr == Approx(0.0007));  // through extends, relative to the pipeline file
  CHECK(first.config.rollout.stop == std::vector<std::string>{"}", "a: b"});
  CHECK_THAT(first.inline_config, Contains("p.yaml:5:7"));
  CHECK(p.stages[1].config.model.path == dir.path() + "/runs/inl/first/model");

  // The stage process reads the written file with the stage's arguments: the same config as checked here.
  CHECK_FALSE(std::filesystem::exists(first.config_path));  // loading a pipeline writes nothing
  spct::pipeline::write_inline_config(first);
  const auto reloaded = spct::config::load_config(first.config_path, first.overrides);
  CHECK(spct::config::config_hash(reloaded.config) == spct::config::config_hash(first.config));
  CHECK(first.arguments() ==
        std::vector<std::string>{"train", first.config_path, "run.dir=" + p.dir, "run.name=first"});
}

TEST_CASE("problems in an inline config name the pipeline file's line and column", "[pipeline]") {
  spct::testing::TempDir dir;
  const std::string path = dir.write("p.yaml",
                                     "pipeline: {name: bad}\n"          // 1
                                     "stages:\n"                        // 2
                                     "  - name: a\n"                    // 3
                                     "    config:\n"                    // 4
                                     "      run: {steps: 3}\n"          // 5
                                     "      grpo: {lrr: 0.1}\n"         // 6
                                     "      rollout:\n"                 // 7
                                     "        temperature: hot\n"       // 8
                                     "  - name: b\n"                    // 9
                                     "    config: [run.steps=3]\n"      // 10
                                     "  - name: c\n"                    // 11
                                     "    command: report\n"            // 12
                                     "    after: [a]\n"                 // 13
                                     "  - name: d\n"                    // 14
                                     "    command: report\n"            // 15
                                     "    config: {run: {steps: 1}}\n"  // 16
                                     "    after: [c]\n");               // 17
  const std::string what = problems_of(path);
  CHECK_THAT(what, Contains("p.yaml:10:13: 'config' must be a file name or a mapping"));
  CHECK_THAT(what, Contains("p.yaml:14:5: a report stage takes no config or overrides"));
  CHECK_THAT(what, Contains("p.yaml:17:13: a report reads eval and training stages; 'c' is a report stage"));
  CHECK_THAT(what, Contains("3 problem(s)"));  // a report of the training stage 'a' is fine
  // Structural problems come first; the stage configs are loaded once the structure is sound.
  const std::string config_problems = problems_of(dir.write("q.yaml",
                                                            "pipeline: {name: bad}\n"
                                                            "stages:\n"
                                                            "  - name: a\n"
                                                            "    config:\n"
                                                            "      run: {steps: 3}\n"
                                                            "      grpo: {lrr: 0.1}\n"
                                                            "      rollout:\n"
                                                            "        temperature: hot\n"));
  CHECK_THAT(config_problems, Contains("q.yaml:5:7: stage 'a': its config does not load"));
  CHECK_THAT(config_problems, Contains("q.yaml:6:14: 'grpo.lrr' is not a known setting"));
  CHECK_THAT(config_problems, Contains("q.yaml:8:22"));
}

TEST_CASE("a report stage needs eval stages to read and runs no process", "[pipeline]") {
  spct::testing::TempDir dir;
  const std::string path = dir.write("p.yaml",
                                     "pipeline: {name: rep}\n"
                                     "stages:\n"
                                     "  - {name: e, command: eval, config: {eval: {target: policy}}}\n"
                                     "  - {name: r, command: report}\n"
                                     "  - {name: lone, command: report, after: []}\n");
  CHECK_THAT(problems_of(path), Contains("p.yaml:5:5: a report stage needs `after`"));
  const spct::pipeline::Pipeline p =
      load_pipeline(dir.write("ok.yaml",
                              "pipeline: {name: rep}\nstages:\n  - {name: e, command: eval, config: {eval: {target: "
                              "policy}}}\n  - {name: r, command: report}\n"),
                    {"run.seed=3"});
  REQUIRE(p.stages.size() == 2);
  CHECK(p.stages[1].is_report());
  CHECK(p.stages[1].after == std::vector<std::string>{"e"});
  CHECK(p.stages[1].overrides.empty());
  CHECK(p.stages[0].config.run.seed == 3);
}

TEST_CASE("the embedded quickstart is configs/quickstart.yaml, a story that ends in a report", "[pipeline]") {
  const spct::pipeline::Pipeline embedded = load_pipeline("", {});
  const std::string file = std::string(SPCT_SOURCE_DIR) + "/configs/quickstart.yaml";
  const spct::pipeline::Pipeline from_file = load_pipeline(file, {});
  CHECK(spct::config::embedded_quickstart_pipeline() == spct::testing::read_file(file));
  CHECK(embedded.file == spct::config::kEmbeddedPipelineName);
  CHECK(embedded.dir == (std::filesystem::current_path() / "runs" / "quickstart").string());
  REQUIRE(embedded.stages.size() == from_file.stages.size());
  for (std::size_t i = 0; i < embedded.stages.size(); ++i) {
    INFO(embedded.stages[i].name);
    CHECK(embedded.stages[i].name == from_file.stages[i].name);
    CHECK(spct::config::config_hash(embedded.stages[i].config) ==
          spct::config::config_hash(from_file.stages[i].config));
  }
  const spct::pipeline::Stage& report = embedded.stages.back();
  CHECK(report.is_report());
  CHECK(report.after.size() == 5);
}
