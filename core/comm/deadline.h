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
// For the first second it polls back-to-back, yielding the core between polls: Open MPI's non-blocking
// collectives only progress inside MPI calls, so sleeping would slow them down. After that it sleeps between
// polls with a backoff growing to 1 ms, so a long wait does not take a core from the ranks it waits for.
bool wait_until(const Deadline& deadline, const std::function<bool()>& done, const std::function<void()>& on_idle = {});

}  // namespace spct::comm
