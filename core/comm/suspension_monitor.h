// Tells how long this process was not running: stopped (SIGSTOP, a debugger, a frozen container) or starved of
// CPU. A stall report uses it so that a rank that was stopped is named as the cause, not the ranks that waited
// for it, and so that a stopped rank that resumes (mpirun sends SIGCONT before it ends a job) does not blame the
// others for a deadline that passed while it was not running.
//
// How: a thread wakes every kTick and records each wake-up that came more than kMinGap late. Every thread of a
// stopped process stops, so the gap it sees is the time the process did not run. The thread makes no MPI calls.
//
// Thread safety: unscheduled_s() may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace spct::comm {

class SuspensionMonitor {
 public:
  using Clock = std::chrono::steady_clock;
  // Short enough that a gap is measured to a tenth of a second, long enough to cost nothing (10 wake-ups/s).
  static constexpr auto kTick = std::chrono::milliseconds(100);
  // A wake-up later than this counts as time not running; a loaded machine delays a runnable thread by tens of
  // milliseconds, not by half a second.
  static constexpr auto kMinGap = std::chrono::milliseconds(500);

  SuspensionMonitor();
  ~SuspensionMonitor();

  SuspensionMonitor(const SuspensionMonitor&) = delete;
  SuspensionMonitor& operator=(const SuspensionMonitor&) = delete;

  // Seconds during the last `window_s` seconds that this process did not run (gaps longer than kMinGap).
  double unscheduled_s(double window_s) const;

 private:
  struct Gap {
    Clock::time_point end;
    Clock::duration length;
  };
  void run();

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::deque<Gap> gaps_;         // newest last; only the newest few are kept
  Clock::time_point last_tick_;  // the monitor's last wake-up: a gap may be in progress since
  std::thread thread_;
};

}  // namespace spct::comm
