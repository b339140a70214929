#include "core/comm/deadline.h"

#include <algorithm>
#include <thread>

namespace spct::comm {

namespace {
// How long a wait spins (yielding) before it starts sleeping, the first sleep and the longest one (deadline.h).
// Spinning longer made idle ranks of a 5-rank job on 2 cores burn ~70 ms of CPU per 75 ms step; the longest
// sleep bounds the latency a sleeping wait adds to a phase hand-off.
constexpr auto kSpinFor = std::chrono::milliseconds(1);
constexpr auto kFirstSleep = std::chrono::microseconds(50);
constexpr auto kMaxSleep = std::chrono::microseconds(500);
}  // namespace

Deadline Deadline::after(double seconds) {
  const auto duration = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  return Deadline(Clock::now() + duration, seconds);
}

double Deadline::remaining_s() const {
  return std::chrono::duration<double>(at_ - Clock::now()).count();
}

bool wait_until(const Deadline& deadline, const std::function<bool()>& done, const std::function<void()>& on_idle) {
  const auto start = Deadline::Clock::now();
  auto sleep = kFirstSleep;
  while (true) {
    if (done()) return true;
    if (deadline.expired()) return false;
    if (on_idle) on_idle();
    if (Deadline::Clock::now() - start < kSpinFor) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(sleep);
      sleep = std::min(sleep * 2, kMaxSleep);
    }
  }
}

}  // namespace spct::comm
