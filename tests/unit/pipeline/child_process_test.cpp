// Child processes: exit codes, captured output, deadlines, and signals passed on to a running stage.
#include "orchestrator/pipeline/child_process.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <thread>

#include "core/error.h"
#include "orchestrator/pipeline/shell_quote.h"

using Catch::Matchers::Contains;
using spct::pipeline::run_captured;
using spct::pipeline::run_stage_process;

TEST_CASE("a captured command gives its exit code, stdout and stderr", "[child_process]") {
  const auto run = run_captured({"sh", "-c", "echo out; echo err >&2; exit 3"}, 10);
  CHECK(run.exit_code == 3);
  CHECK(run.output == "out\n");
  CHECK(run.errors == "err\n");
}

TEST_CASE("a captured command that outlives its deadline is killed", "[child_process]") {
  const auto start = std::chrono::steady_clock::now();
  CHECK_THROWS_WITH(run_captured({"sleep", "30"}, 0.3), Contains("sleep did not finish within 0 s; killed it"));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

TEST_CASE("a program that does not exist is named", "[child_process]") {
  CHECK_THROWS_WITH(run_captured({"/nonexistent/sbatch"}, 5), Contains("cannot start /nonexistent/sbatch"));
  CHECK_THROWS_WITH(run_stage_process({"/nonexistent/spct"}), Contains("cannot start /nonexistent/spct"));
}

TEST_CASE("a stage's exit code comes back, a killed stage reports 128 + the signal", "[child_process]") {
  CHECK(run_stage_process({"sh", "-c", "exit 75"}) == 75);
  CHECK(run_stage_process({"sh", "-c", "kill -9 $$"}) == 128 + SIGKILL);
}

TEST_CASE("SIGUSR1 and SIGTERM sent to spct reach the running stage", "[child_process]") {
  for (const int signal_number : {SIGUSR1, SIGTERM}) {
    // The stage announces the signal by its exit code; the test sends the signal to this process only.
    std::thread sender([signal_number] {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      kill(getpid(), signal_number);
    });
    const int code = run_stage_process(
        {"sh", "-c",
         "trap 'exit 40' USR1; trap 'exit 41' TERM; i=0; while [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done"});
    sender.join();
    CHECK(code == (signal_number == SIGUSR1 ? 40 : 41));
  }
}

TEST_CASE("words are quoted for the shell only when they need it", "[shell_quote]") {
  using spct::pipeline::shell_join;
  using spct::pipeline::shell_quote;
  CHECK(shell_quote("run.dir=/a/b-c_d.e") == "run.dir=/a/b-c_d.e");
  CHECK(shell_quote("") == "''");
  CHECK(shell_quote("a b") == "'a b'");
  CHECK(shell_quote("it's $HOME") == "'it'\\''s $HOME'");
  CHECK(shell_join({"spct", "train", "data.task="}) == "spct train data.task=");
  const auto echoed = run_captured({"sh", "-c", "printf '%s|' " + shell_join({"a b", "it's", "$x", "`y`"})}, 10);
  CHECK(echoed.output == "a b|it's|$x|`y`|");
}
