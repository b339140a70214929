#include "core/comm/deadline.h"

#include <algorithm>
#include <thread>

namespace spct::comm {

namespace {
// How long a wait spins (yielding) before it starts sleeping, and the longest sleep between polls.
constexpr auto kSpinFor = std::chrono::seconds(1);
constexpr auto kMaxSleep = std::chrono::microseconds(1000);
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
  auto sleep = std::chrono::microseconds(10);
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
