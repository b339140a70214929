// SuspensionMonitor measures the time its process was stopped: a child process stops this one with a real
// SIGSTOP and continues it with SIGCONT 1.5 s later.
#include "core/comm/suspension_monitor.h"

#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <catch2/catch.hpp>

using namespace spct::comm;

TEST_CASE("the suspension monitor measures how long the process was stopped", "[suspension]") {
  SuspensionMonitor monitor;
  const pid_t parent = getpid();
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // Only async-signal-safe calls in the child of a threaded process.
    kill(parent, SIGSTOP);
    const timespec pause{1, 500'000'000};
    nanosleep(&pause, nullptr);
    kill(parent, SIGCONT);
    _exit(0);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);  // returns once this process runs again
  // The stop lasted at least 1.5 s (the child slept that long between the signals); the monitor counts it,
  // less at most one tick, and only within the window asked about.
  const double stopped_s = monitor.unscheduled_s(60);
  CHECK(stopped_s >= 1.5 - 0.1);
  CHECK(monitor.unscheduled_s(0) == 0);
}
