// RunMonitor on a real run directory: progress lines, the TensorBoard file beside metrics.jsonl, and a status
// that another thread reads while steps are reported.
#include "orchestrator/observe/run_monitor.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "core/config/loader.h"
#include "orchestrator/observe/event_file.h"
#include "orchestrator/run/run_directory.h"
#include "tests/unit/config/test_files.h"

namespace spct::observe {
namespace {

config::ResolvedConfig config_in(const testing::TempDir& dir, std::vector<std::string> overrides) {
  overrides.push_back("run.dir=" + dir.path());
  overrides.push_back("run.name=mon");
  return config::load_config("", overrides);
}

Metrics step_metrics(int64_t step) {
  return {{"reward/mean", 0.1 * static_cast<double>(step)}, {"verifier/accuracy", 0.5}, {"time/step_s", 0.01}};
}

}  // namespace

TEST_CASE("a monitor writes progress lines and a TensorBoard event per step in the run directory") {
  testing::TempDir dir;
  const config::ResolvedConfig resolved = config_in(dir, {"run.steps=5", "observe.progress_every_steps=2"});
  const run::RunDirectory run_dir = run::RunDirectory::create(resolved);
  std::vector<std::string> lines;
  RunMonitor monitor(resolved.config, run_dir, ProgressStyle::kLines,
                     [&](const std::string& text) { lines.push_back(text); });
  monitor.set_phase("train");
  for (int64_t step = 0; step < 5; ++step) monitor.on_step(step, step_metrics(step));
  monitor.on_finish("finished");

  // Lines after steps 1, 3 and 5 (first, every 2, last), then the summary.
  REQUIRE(lines.size() == 4);
  CHECK_THAT(lines[0], Catch::Matchers::StartsWith("step 1/5 | reward 0.000"));
  CHECK_THAT(lines[1], Catch::Matchers::StartsWith("step 3/5 | reward 0.200"));
  CHECK_THAT(lines[2], Catch::Matchers::StartsWith("step 5/5 | reward 0.400"));
  CHECK_THAT(lines[3], Catch::Matchers::StartsWith("finished: 5/5 steps in"));

  const std::string file = monitor.tensorboard_file();
  CHECK(std::filesystem::path(file).parent_path() == std::filesystem::path(run_dir.file("tensorboard")));
  const std::vector<DecodedEvent> events = read_event_file(file);
  REQUIRE(events.size() == 6);
  CHECK(events[0].file_version == kEventFileVersion);
  for (int64_t step = 0; step < 5; ++step) {
    const DecodedEvent& event = events[static_cast<std::size_t>(step) + 1];
    CHECK(event.step == step);
    REQUIRE(event.scalars.size() == 3);
    CHECK(event.scalars[0].first == "reward/mean");
    CHECK(event.scalars[0].second == Approx(0.1 * static_cast<double>(step)));
  }

  const RunStatus status = monitor.status();
  CHECK(status.run == "mon");
  CHECK(status.run_dir == run_dir.path());
  CHECK(status.phase == "train");
  CHECK(status.state == "finished");
  CHECK(status.steps_done == 5);
  CHECK(status.total_steps == 5);
  CHECK(status.last_step == 4);
  CHECK(status.metrics.at("verifier/accuracy") == 0.5);
  CHECK_FALSE(status.eta_s.has_value());
  CHECK(monitor.status_port() == 0);
}

TEST_CASE("observe.tensorboard=false writes no event file") {
  testing::TempDir dir;
  const config::ResolvedConfig resolved = config_in(dir, {"observe.tensorboard=false"});
  const run::RunDirectory run_dir = run::RunDirectory::create(resolved);
  RunMonitor monitor(resolved.config, run_dir, ProgressStyle::kLines, [](const std::string&) {});
  monitor.on_step(0, step_metrics(0));
  CHECK(monitor.tensorboard_file().empty());
  CHECK_FALSE(std::filesystem::exists(run_dir.file("tensorboard")));
}

TEST_CASE("rollout samples go to TensorBoard's Text tab at their step, and nowhere without observe.tensorboard") {
  testing::TempDir dir;
  const bool tensorboard = GENERATE(true, false);
  const config::ResolvedConfig resolved =
      config_in(dir, {std::string("observe.tensorboard=") + (tensorboard ? "true" : "false")});
  const run::RunDirectory run_dir = run::RunDirectory::create(resolved);
  RunMonitor monitor(resolved.config, run_dir, ProgressStyle::kLines, [](const std::string&) {});
  monitor.on_step(0, step_metrics(0));
  monitor.on_rollout_samples(0, "**group 0 #0** reward 1.000");
  if (!tensorboard) {
    CHECK_FALSE(std::filesystem::exists(run_dir.file("tensorboard")));
    return;
  }
  const std::vector<DecodedEvent> events = read_event_file(monitor.tensorboard_file());
  REQUIRE(events.size() == 3);
  CHECK(events[2].step == 0);
  CHECK(events[2].scalars.empty());
  using Texts = std::vector<std::pair<std::string, std::string>>;
  CHECK(events[2].texts == Texts{{"rollouts/samples", "**group 0 #0** reward 1.000"}});
}

TEST_CASE("a resumed run counts steps from the run's start and estimates the rest") {
  testing::TempDir dir;
  const config::ResolvedConfig resolved = config_in(dir, {"run.steps=100"});
  const run::RunDirectory run_dir = run::RunDirectory::create(resolved);
  RunMonitor monitor(resolved.config, run_dir, ProgressStyle::kLines, [](const std::string&) {});
  monitor.on_step(59, {{"time/step_s", 2.0}});  // the first step after a resume at step 59
  const RunStatus status = monitor.status();
  CHECK(status.steps_done == 60);
  REQUIRE(status.eta_s.has_value());
  CHECK(*status.eta_s == Approx(40 * 2.0));
}

TEST_CASE("a monitor lists the ranks of config.layout and marks them answering once a step's stop is agreed") {
  testing::TempDir dir;
  const config::ResolvedConfig resolved =
      config_in(dir, {"layout.colocate=false", "layout.rollout_workers=2", "layout.reward_workers=1",
                      "layout.learners=2", "grpo.minibatches=1", "rollout.prompts_per_step=8"});
  const run::RunDirectory run_dir = run::RunDirectory::create(resolved);
  RunMonitor monitor(resolved.config, run_dir, ProgressStyle::kLines, [](const std::string&) {});
  RunStatus status = monitor.status();
  CHECK(status.ranks_total == 6);
  CHECK_FALSE(status.ranks_alive.has_value());  // no step has ended: nobody has answered yet
  REQUIRE(status.ranks.size() == 6);
  const std::vector<std::string> roles = {"orchestrator",  "rollout worker", "rollout worker",
                                          "reward worker", "learner",        "learner"};
  for (std::size_t r = 0; r < roles.size(); ++r) {
    CHECK(status.ranks[r].rank == static_cast<int64_t>(r));
    CHECK(status.ranks[r].role == roles[r]);
    CHECK_FALSE(status.ranks[r].last_step.has_value());
  }

  monitor.on_step(7, step_metrics(7));
  CHECK_FALSE(monitor.status().ranks_alive.has_value());  // the step's metrics alone say nothing about ranks
  monitor.on_stop_agreed(7);
  status = monitor.status();
  CHECK(status.ranks_alive == 6);
  for (const RankSeen& rank : status.ranks) CHECK(rank.last_step == 7);
}

TEST_CASE("a colocated run has one rank that plays every role") {
  testing::TempDir dir;
  const config::ResolvedConfig resolved = config_in(dir, {"layout.colocate=true"});
  const run::RunDirectory run_dir = run::RunDirectory::create(resolved);
  RunMonitor monitor(resolved.config, run_dir, ProgressStyle::kLines, [](const std::string&) {});
  monitor.on_stop_agreed(0);
  const RunStatus status = monitor.status();
  CHECK(status.ranks_total == 1);
  CHECK(status.ranks_alive == 1);
  REQUIRE(status.ranks.size() == 1);
  CHECK(status.ranks[0].role == "colocated (all roles)");
  CHECK(status.ranks[0].last_step == 0);
}

TEST_CASE("status() from another thread always sees a consistent step") {
  testing::TempDir dir;
  const config::ResolvedConfig resolved = config_in(dir, {"run.steps=200", "observe.tensorboard=false"});
  const run::RunDirectory run_dir = run::RunDirectory::create(resolved);
  RunMonitor monitor(resolved.config, run_dir, ProgressStyle::kLines, [](const std::string&) {});
  std::atomic<bool> done{false};
  std::atomic<int> inconsistent{0};
  std::atomic<int> reads{0};
  std::thread reader([&] {
    while (!done) {
      const RunStatus status = monitor.status();
      if (status.last_step && (*status.last_step + 1 != status.steps_done ||
                               status.metrics.at("reward/mean") != 0.1 * static_cast<double>(*status.last_step))) {
        ++inconsistent;
      }
      ++reads;
    }
  });
  while (reads == 0) std::this_thread::yield();  // the reader is running before the steps start
  for (int64_t step = 0; step < 200; ++step) {
    monitor.on_step(step, step_metrics(step));
    std::this_thread::yield();
  }
  done = true;
  reader.join();
  CHECK(inconsistent == 0);
  CHECK(monitor.status().steps_done == 200);
}

TEST_CASE("a run that fails keeps the step it reached in status.json") {
  testing::TempDir dir;
  const config::ResolvedConfig resolved = config_in(dir, {"run.steps=10"});
  const run::RunDirectory run_dir = run::RunDirectory::create(resolved);
  const auto status = [&] {
    std::ifstream in(run_dir.file("status.json"));
    return nlohmann::json::parse(in);
  };
  run_dir.write_failed("failed before any step");
  CHECK(status()["step"] == 0);
  run_dir.write_status("running", 3);
  run_dir.write_failed("rank 2 stalled");
  CHECK(status()["state"] == "failed");
  CHECK(status()["step"] == 3);
  CHECK(status()["message"] == "rank 2 stalled");
}
}  // namespace spct::observe
