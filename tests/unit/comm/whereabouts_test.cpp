// Whereabouts: what a rank says when mpirun ends it with SIGTERM before any deadline (a lost host): its place
// (rank, role, host, phase, kept by PhaseScope) and what it was waiting for, from a real signal handler.
#include "core/whereabouts.h"

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <string>

#include "core/comm/rank_state.h"
#include "core/stop_signal.h"

using namespace spct;
using Catch::Matchers::Matches;

namespace {

// What write_whereabouts writes, read back through a pipe.
std::string written(const char* signal_name) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  write_whereabouts(fds[1], signal_name);
  close(fds[1]);
  std::string text;
  char buffer[256];
  for (ssize_t n; (n = read(fds[0], buffer, sizeof buffer)) > 0;) text.append(buffer, static_cast<size_t>(n));
  close(fds[0]);
  return text;
}

config::LayoutSection two_learners() {
  config::LayoutSection layout;
  layout.rollout_workers = 1;
  layout.reward_workers = 1;
  layout.learners = 2;
  return layout;
}

}  // namespace

TEST_CASE("the whereabouts name the rank, role, host and phase, and the wait in progress", "[whereabouts]") {
  const comm::RankLayout layout = comm::RankLayout::plan_single_node(two_learners(), 0, 4, {});
  config::TimeoutsSection timeouts;
  comm::RankState state(layout, 3, timeouts);
  const std::string host = layout.at(3).hostname;
  clear_whereabouts_wait();
  CHECK(written("SIGTERM") ==
        "spct: at SIGTERM rank 3 (learner, host " + host + ") was in phase 'startup', not waiting for another rank\n");
  {
    comm::PhaseScope phase(state, "train");
    set_whereabouts_wait("rank 4 (learner, host n3): all_reduce of 2 float64");
    CHECK_THAT(written("SIGTERM"), Matches("spct: at SIGTERM rank 3 \\(learner, host .*\\) was in phase 'train', "
                                           "waiting [0-9]+\\.[0-9] s for rank 4 \\(learner, host n3\\): "
                                           "all_reduce of 2 float64\n"));
    clear_whereabouts_wait();
    CHECK_THAT(written("SIGTERM"), Matches(".* was in phase 'train', not waiting for another rank\n"));
  }
  // Leaving the phase restores the outer one.
  CHECK_THAT(written("SIGTERM"), Matches(".* was in phase 'startup', not waiting for another rank\n"));
  // A text longer than the buffer is cut, not overrun.
  set_whereabouts_wait(std::string(5000, 'x'));
  const std::string cut = written("SIGTERM");
  CHECK(cut.size() < 2 * kMaxWhereaboutsText + 128);
  CHECK(cut.back() == '\n');
  clear_whereabouts_wait();
}

TEST_CASE("a SIGTERM makes the process say where it was, after the stop message", "[whereabouts]") {
  const comm::RankLayout layout = comm::RankLayout::plan_single_node(two_learners(), 0, 4, {});
  config::TimeoutsSection timeouts;
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // The child: stderr into the pipe, the handlers of a rank, a wait in progress, then the signal mpirun sends.
    dup2(fds[1], STDERR_FILENO);
    install_stop_signal_handlers();
    comm::RankState state(layout, 2, timeouts);
    comm::PhaseScope phase(state, "reward");
    set_whereabouts_wait("rank 0 (orchestrator, host n1): a message with tag 3 from rank 0");
    std::raise(SIGTERM);
    _exit(stop_requested() ? 0 : 1);
  }
  close(fds[1]);
  std::string text;
  char buffer[512];
  for (ssize_t n; (n = read(fds[0], buffer, sizeof buffer)) > 0;) text.append(buffer, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK_THAT(text, Matches("spct: stop requested by SIGTERM;.*\nspct: at SIGTERM rank 2 \\(reward worker, host .*\\) "
                           "was in phase 'reward', waiting [0-9.]+ s for rank 0 \\(orchestrator, host n1\\): a "
                           "message with tag 3 from rank 0\n"));
}
