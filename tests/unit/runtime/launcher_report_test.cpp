// run::LauncherReport: which lost rank or host spct names from the lines mpirun and the ranks wrote, in the order
// Open MPI writes them (the multinode suite's faults.sh runs the real cases; this fixes the orders between them).
#include "orchestrator/run/launcher_report.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace {

using spct::run::LauncherReport;

LauncherReport with_table() {
  LauncherReport report({"orchestrator", "rollout worker", "reward worker", "learner"});
  for (const char* row : {"   0  orchestrator            0 (h1)           0     cpu  -          1",
                          "   1  rollout worker 0        0 (h1)           1     cpu  -          1",
                          "   2  reward worker 0         1 (h2)           0     cpu  -          1",
                          "   3  learner 0               2 (h3)           0     cpu  -          1"}) {
    report.read_line(row);
  }
  return report;
}

const char* const kAbortBegins = "user-direction, the job has been aborted.";
const char* const kHostLost = "  Remote daemon: [[7,0],3] on node h3";
// The survivors' whereabouts at mpirun's SIGTERM: ranks 0 and 1 answer, both waiting for rank 3 on the frozen h3.
const char* const kAnswers[] = {
    "spct: at SIGTERM rank 0 (orchestrator, host h1) was in phase 'train', waiting 20.1 s for rank 3 (learner, host "
    "h3): a message",
    "spct: at SIGTERM rank 1 (rollout worker, host h1) was in phase 'sync', waiting 20.1 s for rank 3 (learner, host "
    "h3): a broadcast"};

}  // namespace

TEST_CASE("a host lost during an abort that a dead rank began names every unanswered rank, the dead one too") {
  LauncherReport report = with_table();
  report.read_line("Primary job  terminated normally, but 1 process returned");
  report.read_line(std::string("a non-zero exit code. Per ") + kAbortBegins);
  for (const char* line : kAnswers) report.read_line(line);
  report.read_line(kHostLost);  // the frozen host's daemon, declared lost while mpirun waits for it
  const std::string lost = report.lost();
  INFO(lost);
  CHECK(lost.find("a rank failed and Open MPI began ending the job without naming it") == 0);
  CHECK(lost.find("rank 2 (reward worker, host h2)") != std::string::npos);
  CHECK(lost.find("rank 3 (learner, host h3)") != std::string::npos);
  CHECK(report.job_failing());
}

TEST_CASE("a host lost first is the cause, whatever abort follows") {
  LauncherReport report = with_table();
  for (const char* line : kAnswers) report.read_line(line);
  report.read_line(kHostLost);
  report.read_line(std::string("a non-zero exit code. Per ") + kAbortBegins);
  const std::string lost = report.lost();
  INFO(lost);
  CHECK(lost.find("Open MPI lost host h3") == 0);
  CHECK(lost.find("waiting for rank 3 (learner, host h3)") != std::string::npos);
  CHECK(lost.find("rank 2") == std::string::npos);
}
