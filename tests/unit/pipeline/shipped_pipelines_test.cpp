// Every pipeline shipped in configs/pipelines/, and configs/ablations.yaml, loads: its stages, references and
// stage configs are valid.
#include <catch2/catch.hpp>
#include <filesystem>

#include "orchestrator/pipeline/pipeline.h"

TEST_CASE("every pipeline under configs/pipelines/ validates", "[pipeline]") {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(SPCT_SOURCE_DIR) + "/configs/pipelines")) {
    if (entry.path().extension() != ".yaml") continue;
    INFO(entry.path().string());
    REQUIRE(spct::pipeline::is_pipeline_file(entry.path().string()));
    const spct::pipeline::Pipeline p = spct::pipeline::load_pipeline(entry.path().string(), {});
    CHECK_FALSE(p.stages.empty());
    ++count;
  }
  CHECK(count >= 1);
}

TEST_CASE("configs/ablations.yaml validates and ends in a report of its evals and policy stages", "[pipeline]") {
  const std::string file = std::string(SPCT_SOURCE_DIR) + "/configs/ablations.yaml";
  REQUIRE(spct::pipeline::is_pipeline_file(file));
  const spct::pipeline::Pipeline p = spct::pipeline::load_pipeline(file, {});
  REQUIRE_FALSE(p.stages.empty());
  CHECK(p.stages.back().command == "report");
  CHECK(p.stages.back().after.size() == 8);
}
