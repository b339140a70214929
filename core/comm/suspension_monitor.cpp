#include "core/comm/suspension_monitor.h"

#include <algorithm>

namespace spct::comm {

namespace {
// Gaps remembered: a stall report looks back one deadline, in which a process is rarely stopped more than once.
constexpr size_t kKeep = 32;
}  // namespace

SuspensionMonitor::SuspensionMonitor() : last_tick_(Clock::now()), thread_([this] { run(); }) {}

SuspensionMonitor::~SuspensionMonitor() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void SuspensionMonitor::run() {
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, kTick, [this] { return stopping_; })) {
    const Clock::time_point now = Clock::now();
    const Clock::duration late = now - last_tick_ - kTick;
    if (late > kMinGap) {
      gaps_.push_back({now, late});
      if (gaps_.size() > kKeep) gaps_.pop_front();
    }
    last_tick_ = now;
  }
}

double SuspensionMonitor::unscheduled_s(double window_s) const {
  const Clock::time_point now = Clock::now();
  const Clock::time_point from =
      now - std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(window_s));
  std::lock_guard lock(mutex_);
  Clock::duration total{};
  // A process that has just been continued may ask before the monitor's first wake-up: the gap is in progress.
  std::deque<Gap> gaps = gaps_;
  if (now - last_tick_ - kTick > kMinGap) gaps.push_back({now, now - last_tick_ - kTick});
  for (const Gap& gap : gaps) {
    // The part of the gap inside [from, now].
    const Clock::time_point start = std::max(gap.end - gap.length, from);
    if (gap.end > start) total += gap.end - start;
  }
  return std::chrono::duration<double>(total).count();
}

}  // namespace spct::comm
