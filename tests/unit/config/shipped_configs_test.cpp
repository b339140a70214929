// Every config shipped under configs/ must load cleanly, so examples never go stale.
#include <catch2/catch.hpp>
#include <filesystem>

#include "core/config/loader.h"
#include "core/config/render.h"

TEST_CASE("every file under configs/ validates", "[configs]") {
  int count = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(std::string(SPCT_SOURCE_DIR) + "/configs")) {
    if (entry.path().extension() != ".yaml") continue;
    // Pipeline files are not experiment configs; tests/unit/pipeline checks them (and their stage configs):
    // configs/pipelines/, configs/quickstart.yaml, the story pipeline embedded as `spct pipeline`'s default, and
    // configs/ablations.yaml, the SPCT ablations.
    if (entry.path().parent_path().filename() == "pipelines") continue;
    if (entry.path().filename() == "quickstart.yaml" || entry.path().filename() == "ablations.yaml") continue;
    INFO(entry.path().string());
    CHECK_NOTHROW(spct::config::load_config(entry.path().string(), {}));
    ++count;
  }
  CHECK(count >= 1);
}

TEST_CASE("the embedded default is configs/grpo_add.yaml", "[configs]") {
  const auto embedded = spct::config::load_config("", {});
  const auto file = spct::config::load_config(std::string(SPCT_SOURCE_DIR) + "/configs/grpo_add.yaml", {});
  CHECK(spct::config::config_hash(embedded.config) == spct::config::config_hash(file.config));
}
