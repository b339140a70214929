// `spct runs` reads real run directories on disk: finished, nested pipeline stages, running and stale runs,
// corrupt and half-written files.
#include "orchestrator/observe/run_listing.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "core/error.h"
#include "orchestrator/observe/process.h"
#include "orchestrator/observe/runs_table.h"
#include "tests/unit/config/test_files.h"

namespace spct::observe {
namespace {

// The pid of a child that has exited and been reaped: a process that certainly no longer exists.
int64_t dead_pid() {
  const pid_t child = fork();
  if (child == 0) _exit(0);
  REQUIRE(child > 0);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  return child;
}

std::string status_text(const std::string& state, int64_t step, int64_t pid = 0) {
  nlohmann::json status = {{"state", state}, {"step", step}, {"total_steps", 40}};
  if (pid > 0) {
    status["pid"] = pid;
    status["host"] = this_host();
  }
  return status.dump() + "\n";
}

RunSummary find(const std::vector<RunSummary>& runs, const std::string& name) {
  const auto it = std::find_if(runs.begin(), runs.end(), [&](const RunSummary& run) { return run.name == name; });
  REQUIRE(it != runs.end());
  return *it;
}

}  // namespace

TEST_CASE("list_runs finds runs one and two levels down with their state, step and last metrics") {
  testing::TempDir dir;
  dir.write("a/config.yaml", "run:\n  name: a\n");
  dir.write("a/status.json", R"({"state":"finished","step":40})");
  dir.write("a/metrics.jsonl",
            "{\"step\":38,\"reward/mean\":0.2}\n{\"step\":39,\"reward/mean\":0.5,\"loss/kl\":null}\n");
  dir.write("a/checkpoints/step_10/status.json", R"({"state":"running","step":10})");  // inside a run: not a run
  dir.write("pipe/rft/status.json", status_text("checkpointed", 12));
  dir.write("pipe/rl/status.json", status_text("running", 3, getpid()));
  dir.write("pipe/rl/metrics.jsonl", "{\"step\":2,\"verifier/accuracy\":0.75}\n");
  dir.write("deep/x/y/status.json", R"({"state":"finished","step":1})");  // three levels: not searched

  const std::vector<RunSummary> runs = list_runs(dir.path());
  REQUIRE(runs.size() == 3);
  CHECK(runs[0].name == "a");
  CHECK(runs[1].name == "pipe/rft");
  CHECK(runs[2].name == "pipe/rl");

  const RunSummary& a = runs[0];
  CHECK(a.state == "finished");
  CHECK(a.steps_done == 40);
  CHECK_FALSE(a.total_steps.has_value());
  CHECK(a.last_step == 39);
  CHECK(a.last_metrics == Metrics{{"reward/mean", 0.5}});
  CHECK(a.updated_unix.has_value());
  CHECK(runs[1].state == "checkpointed");
  CHECK(runs[1].total_steps == 40);
  CHECK(runs[2].state == "running");  // its process (this test) is alive
  CHECK(runs[2].last_metrics.at("verifier/accuracy") == 0.75);
}

TEST_CASE("a running run whose recorded process is gone is stale") {
  testing::TempDir dir;
  const int64_t pid = dead_pid();
  dir.write("r/status.json", status_text("running", 5, pid));
  const RunSummary run = find(list_runs(dir.path()), "r");
  CHECK(run.state == "stale");
  CHECK_THAT(run.reason, Catch::Matchers::Contains(std::to_string(pid)) && Catch::Matchers::Contains("gone"));
}

TEST_CASE("a running run recorded on another host is left running") {
  testing::TempDir dir;
  nlohmann::json status = {{"state", "running"}, {"step", 5}, {"pid", dead_pid()}, {"host", this_host() + "-x"}};
  dir.write("r/status.json", status.dump());
  CHECK(find(list_runs(dir.path()), "r").state == "running");
}

TEST_CASE("corrupt or missing status files give state unknown with the reason") {
  testing::TempDir dir;
  dir.write("torn/status.json", R"({"state":"runn)");
  dir.write("empty/status.json", "");
  dir.write("nostate/status.json", R"({"step":3})");
  dir.write("array/status.json", "[1,2]");
  dir.write("bare/config.yaml", "run:\n  name: bare\n");
  const std::vector<RunSummary> runs = list_runs(dir.path());
  REQUIRE(runs.size() == 5);
  for (const RunSummary& run : runs) {
    INFO(run.name);
    CHECK(run.state == "unknown");
  }
  CHECK(find(runs, "torn").reason == "status.json is not a JSON object");
  CHECK(find(runs, "empty").reason == "status.json is empty");
  CHECK(find(runs, "nostate").reason == "status.json has no \"state\" string");
  CHECK(find(runs, "bare").reason == "no status.json");
}

TEST_CASE("a torn last metrics line falls back to the last complete one") {
  testing::TempDir dir;
  dir.write("r/metrics.jsonl", "{\"step\":0,\"reward/mean\":0.1}\n{\"step\":1,\"reward/mean\":0.2}\n{\"step\":2,\"rew");
  const RunSummary run = read_run(dir.path() + "/r", "r");
  CHECK(run.last_step == 1);
  CHECK(run.steps_done == 2);  // no status.json: counted from the metrics
  CHECK(run.last_metrics.at("reward/mean") == 0.2);
}

TEST_CASE("last_json_line reads only the end of a large file") {
  testing::TempDir dir;
  std::string text;
  const std::string padding(2000, 'x');
  for (int step = 0; step < 1500; ++step) {  // ~3 MB, beyond the tail that is read
    text += nlohmann::json({{"step", step}, {"pad", padding}}).dump() + "\n";
  }
  const std::string path = dir.write("metrics.jsonl", text + "\n\n");
  const std::optional<std::string> last = last_json_line(path);
  REQUIRE(last.has_value());
  CHECK(nlohmann::json::parse(*last)["step"] == 1499);
  CHECK_FALSE(last_json_line(dir.write("junk.jsonl", "not json\n")).has_value());
  CHECK_FALSE(last_json_line(dir.path() + "/missing.jsonl").has_value());
}

TEST_CASE("list_runs refuses a directory that does not exist") {
  testing::TempDir dir;
  CHECK_THROWS_AS(list_runs(dir.path() + "/nope"), UsageError);
  CHECK_THROWS_WITH(list_runs(dir.path() + "/nope"), Catch::Matchers::Contains("/nope' does not exist"));
  CHECK_THROWS_WITH(list_runs(dir.write("f", "x")), Catch::Matchers::Contains("is not a directory"));
  CHECK(list_runs(dir.path()).empty());
}

TEST_CASE("a directory that is itself a run is listed as '.'") {
  testing::TempDir dir;
  dir.write("status.json", R"({"state":"failed","step":2,"message":"rank 3 stalled in generate"})");
  const std::vector<RunSummary> runs = list_runs(dir.path());
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].name == ".");
  CHECK(runs[0].state == "failed");
  CHECK(runs[0].reason == "rank 3 stalled in generate");
}

TEST_CASE("the runs table aligns columns and marks what a run lacks, and --json carries every field") {
  RunSummary done;
  done.name = "pipe/rl";
  done.state = "finished";
  done.steps_done = 40;
  done.total_steps = 40;
  done.last_metrics = {{"reward/mean", 0.8123}, {"verifier/accuracy", 0.9}, {"perf/tokens_per_s", 1234.4}};
  done.updated_unix = 1000;
  RunSummary broken;
  broken.name = "x";
  broken.state = "unknown";
  broken.reason = "status.json is empty";
  const std::string table = format_runs_table({done, broken}, 1185);
  std::istringstream lines(table);
  std::string header, first, second;
  std::getline(lines, header);
  std::getline(lines, first);
  std::getline(lines, second);
  CHECK_THAT(header, Catch::Matchers::StartsWith("RUN      STATE     STEP   REWARD"));
  CHECK_THAT(first, Catch::Matchers::StartsWith("pipe/rl  finished  40/40  0.812"));
  CHECK_THAT(first, Catch::Matchers::Contains("0.900") && Catch::Matchers::Contains("1234") &&
                        Catch::Matchers::Contains("3m05s ago"));
  CHECK_THAT(second, Catch::Matchers::StartsWith("x        unknown   -      -") &&
                         Catch::Matchers::EndsWith("status.json is empty"));
  CHECK(header.find("STATE") == first.find("finished"));
  CHECK(format_runs_table({}, 0).empty());

  const nlohmann::json json = nlohmann::json::parse(runs_json({done, broken}));
  REQUIRE(json.size() == 2);
  CHECK(json[0]["name"] == "pipe/rl");
  CHECK(json[0]["steps_done"] == 40);
  CHECK(json[0]["metrics"]["reward/mean"] == 0.8123);
  CHECK(json[1]["state"] == "unknown");
  CHECK(json[1]["steps_done"].is_null());
}

}  // namespace spct::observe
