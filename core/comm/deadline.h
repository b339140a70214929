// Deadlines for waits on other ranks. A wait polls a completion test (MPI_Test, MPI_Iprobe, a CUDA event)
// until it succeeds or the deadline passes; nothing in spct calls a blocking MPI function on a path where a
// peer could fail to show up.
//
// Thread safety: Deadline is a value; wait_until() uses only its arguments.
#pragma once

#include <chrono>
#include <functional>

namespace spct::comm {

class Deadline {
 public:
  using Clock = std::chrono::steady_clock;

  // A deadline `seconds` from now.
  static Deadline after(double seconds);

  bool expired() const { return Clock::now() >= at_; }
  // Seconds until the deadline (negative once it has passed).
  double remaining_s() const;
  // The length of the wait this deadline was made for, for messages ("within 10 s").
  double budget_s() const { return budget_s_; }

 private:
  Deadline(Clock::time_point at, double budget_s) : at_(at), budget_s_(budget_s) {}

  Clock::time_point at_;
  double budget_s_;
};

// Calls `done()` until it returns true (then returns true) or `deadline` expires (then returns false).
// `on_idle()`, if set, runs between polls (the stall detector answers probes of other ranks there).
// Wait policy: for the first millisecond it polls back-to-back, yielding the core between polls, so that a wait
// that is about to end (a collective whose peers have arrived: Open MPI's non-blocking collectives only progress
// inside MPI calls) ends with no added latency. After that it sleeps between polls, 50 us at first, doubling up
// to 500 us: an idle rank (an orchestrator waiting for a learner step, a reward worker waiting for work) then
// uses a few percent of a core instead of a whole one, and a wait ends at most ~0.5 ms (plus the scheduler's
// wake-up) after its condition holds.
bool wait_until(const Deadline& deadline, const std::function<bool()>& done, const std::function<void()>& on_idle = {});

}  // namespace spct::comm
