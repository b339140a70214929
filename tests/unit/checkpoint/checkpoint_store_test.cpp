#include "core/checkpoint/checkpoint_store.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "core/checkpoint/manifest.h"

namespace fs = std::filesystem;
using spct::checkpoint::CheckpointStore;
using spct::checkpoint::Retention;

namespace {

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("spct-store-" + std::to_string(::getpid()) + "-" +
                                               std::to_string(reinterpret_cast<uintptr_t>(this)));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

// Writes a checkpoint of `step` holding one file with `payload`.
fs::path save(const CheckpointStore& store, int64_t step, const std::string& payload = "weights") {
  const fs::path staging = store.stage(step);
  std::ofstream(staging / "weights.bin") << payload << step;
  return store.commit(step);
}

std::vector<int64_t> steps(const CheckpointStore& store) {
  std::vector<int64_t> out;
  for (const auto& ref : store.list()) out.push_back(ref.step);
  return out;
}

std::string read(const fs::path& path) {
  std::ifstream in(path);
  std::string text;
  std::getline(in, text);
  return text;
}

}  // namespace

TEST_CASE("directory names sort by step and parse back") {
  CHECK(CheckpointStore::directory_name(40) == "step-00000040");
  CHECK(spct::checkpoint::step_of_directory("step-00000040") == 40);
  CHECK_FALSE(spct::checkpoint::step_of_directory(".partial-step-00000040"));
  CHECK_FALSE(spct::checkpoint::step_of_directory("step-12x"));
  CHECK_FALSE(spct::checkpoint::step_of_directory("latest"));
}

TEST_CASE("commit seals the staged directory, points latest at it and keeps the newest keep_last") {
  TempDir dir;
  const CheckpointStore store(dir.path / "checkpoints", Retention{2, 0});
  for (int64_t step : {2, 4, 6, 8}) save(store, step);
  CHECK(steps(store) == std::vector<int64_t>{8, 6});
  CHECK(read(dir.path / "checkpoints" / "latest") == "step-00000008");
  CHECK(spct::checkpoint::verify_manifest(store.final_path(8)).empty());
  CHECK_FALSE(fs::exists(store.staging_path(8)));
}

TEST_CASE("keep_every keeps milestones beyond keep_last") {
  TempDir dir;
  const CheckpointStore store(dir.path / "checkpoints", Retention{1, 4});
  for (int64_t step : {2, 4, 6, 8, 10}) save(store, step);
  CHECK(steps(store) == std::vector<int64_t>{10, 8, 4});
}

TEST_CASE("a killed write leaves a staging directory that is never read and is cleared by the next stage") {
  TempDir dir;
  const CheckpointStore store(dir.path / "checkpoints", Retention{3, 0});
  save(store, 2);
  const fs::path partial = store.stage(4);
  std::ofstream(partial / "weights.bin") << "half";
  std::vector<std::string> warnings;
  const auto latest = store.latest_valid(warnings);
  REQUIRE(latest);
  CHECK(latest->step == 2);
  CHECK(warnings.empty());
  store.stage(6);
  CHECK_FALSE(fs::exists(partial));
}

TEST_CASE("a damaged newest checkpoint is skipped with a warning that names it") {
  TempDir dir;
  const CheckpointStore store(dir.path / "checkpoints", Retention{3, 0});
  save(store, 2);
  const fs::path newest = save(store, 4, "a longer payload");
  fs::resize_file(newest / "weights.bin", 3);
  std::vector<std::string> warnings;
  const auto latest = store.latest_valid(warnings);
  REQUIRE(latest);
  CHECK(latest->step == 2);
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(warnings[0], Catch::Matchers::Contains("step-00000004") && Catch::Matchers::Contains("weights.bin"));
}

TEST_CASE("a checkpoint renamed into place but not yet named by latest is still found") {
  TempDir dir;
  const CheckpointStore store(dir.path / "checkpoints", Retention{3, 0});
  save(store, 2);
  save(store, 4);
  std::ofstream(dir.path / "checkpoints" / "latest") << "step-00000002\n";  // as if killed before the update
  std::vector<std::string> warnings;
  CHECK(store.latest_valid(warnings)->step == 4);
}

TEST_CASE("committing a step again replaces the earlier checkpoint of that step") {
  TempDir dir;
  const CheckpointStore store(dir.path / "checkpoints", Retention{3, 0});
  save(store, 2, "first");
  save(store, 2, "second");
  CHECK(read(store.final_path(2) / "weights.bin") == "second2");
  CHECK(steps(store) == std::vector<int64_t>{2});
}

TEST_CASE("no checkpoints: nothing to resume from") {
  TempDir dir;
  const CheckpointStore store(dir.path / "nowhere", Retention{3, 0});
  std::vector<std::string> warnings;
  CHECK_FALSE(store.latest_valid(warnings));
  CHECK(store.list().empty());
}
