// Where `spct train` starts (orchestrator/train/resume.h), on real run directories.
#include "orchestrator/train/resume.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "core/config/loader.h"
#include "core/error.h"
#include "orchestrator/run/run_directory.h"

namespace fs = std::filesystem;
using spct::train::plan_resume;
using spct::train::ResumeOptions;

namespace {

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("spct-resume-" + std::to_string(::getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

// The embedded default in `dir`, run "r" of 10 steps, then `extra` overrides (which win).
spct::config::ResolvedConfig config_in(const fs::path& dir, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> overrides = {"run.dir=" + dir.string(), "run.name=r", "run.steps=10"};
  overrides.insert(overrides.end(), extra.begin(), extra.end());
  return spct::config::load_config("", overrides);
}

// A checkpoint of `step` as the orchestrator writes it: a config.yaml beside the learner's files.
void write_checkpoint(const spct::config::ResolvedConfig& resolved, int64_t step) {
  const auto store = spct::train::checkpoint_store_of(resolved.config);
  const fs::path staging = store.stage(step);
  std::ofstream(staging / "weights.bin") << "w" << step;
  spct::run::RunDirectory::reopen(resolved);  // the run's config.yaml; copied as the checkpoint's below
  fs::copy_file(fs::path(resolved.config.run.dir) / "r" / "config.yaml", staging / "config.yaml");
  store.commit(step);
}

}  // namespace

TEST_CASE("a new run starts at step 0 in a new directory") {
  TempDir dir;
  const auto plan = plan_resume(config_in(dir.path).config, {});
  CHECK_FALSE(plan.existing_run);
  CHECK_FALSE(plan.from);
  CHECK(plan.start_step() == 0);
}

TEST_CASE("an earlier attempt continues from its newest intact checkpoint") {
  TempDir dir;
  const auto resolved = config_in(dir.path);
  spct::run::RunDirectory::create(resolved);
  SECTION("no checkpoint yet: step 0 again, in the same directory") {
    const auto plan = plan_resume(resolved.config, {});
    CHECK(plan.existing_run);
    CHECK_FALSE(plan.from);
  }
  SECTION("checkpoints: the newest intact one") {
    write_checkpoint(resolved, 2);
    write_checkpoint(resolved, 4);
    fs::resize_file(fs::path(dir.path) / "r/checkpoints/step-00000004/weights.bin", 0);
    const auto plan = plan_resume(resolved.config, {});
    REQUIRE(plan.from);
    CHECK(plan.from->step == 2);
    REQUIRE(plan.warnings.size() == 1);
    CHECK_THAT(plan.warnings[0], Catch::Matchers::Contains("step-00000004"));
    CHECK_FALSE(plan.complete);
  }
  SECTION("a checkpoint at run.steps: the run is complete") {
    write_checkpoint(resolved, 10);
    CHECK(plan_resume(resolved.config, {}).complete);
    // ...until the steps are raised, which is not a change that defines the experiment.
    const auto longer = config_in(dir.path, {"run.steps=20"});
    const auto plan = plan_resume(longer.config, {});
    CHECK_FALSE(plan.complete);
    CHECK(plan.from->step == 10);
    REQUIRE_FALSE(plan.warnings.empty());
    CHECK_THAT(plan.warnings[0], Catch::Matchers::Contains("run.steps: 10 -> 20"));
  }
  SECTION("--resume never refuses the directory") {
    ResumeOptions never;
    never.mode = "never";
    CHECK_THROWS_WITH(plan_resume(resolved.config, never), Catch::Matchers::Contains("already holds a run"));
  }
}

TEST_CASE("a config change that defines the experiment is refused with every difference listed") {
  TempDir dir;
  const auto resolved = config_in(dir.path);
  spct::run::RunDirectory::create(resolved);
  const auto changed = config_in(dir.path, {"rollout.group_size=4", "model.hidden_size=32", "grpo.lr=0.01"});
  try {
    plan_resume(changed.config, {});
    FAIL("expected a refusal");
  } catch (const spct::UsageError& e) {
    const std::string what = e.what();
    CHECK_THAT(what, Catch::Matchers::Contains("rollout.group_size: 8 -> 4"));
    CHECK_THAT(what, Catch::Matchers::Contains("model.hidden_size: 64 -> 32"));
    CHECK_THAT(what, !Catch::Matchers::Contains("grpo.lr"));
    CHECK_THAT(what, Catch::Matchers::Contains("--allow-config-change"));
  }
  ResumeOptions allow;
  allow.allow_config_change = true;
  CHECK(plan_resume(changed.config, allow).warnings.size() == 3);
}

TEST_CASE("resuming from a checkpoint path needs an intact checkpoint directory") {
  TempDir dir;
  const auto resolved = config_in(dir.path);
  spct::run::RunDirectory::create(resolved);
  write_checkpoint(resolved, 3);
  ResumeOptions path;
  path.mode = (dir.path / "r/checkpoints/step-00000003").string();
  CHECK(plan_resume(resolved.config, path).from->step == 3);

  fs::remove(dir.path / "r/checkpoints/step-00000003/MANIFEST.json");
  CHECK_THROWS_AS(plan_resume(resolved.config, path), spct::InputError);
  path.mode = dir.path.string();
  CHECK_THROWS_WITH(plan_resume(resolved.config, path), Catch::Matchers::Contains("not a checkpoint directory"));
}
