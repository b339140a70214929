#include "workers/reward/grm_remote/circuit_breaker.h"

namespace spct::grm {

CircuitBreaker::CircuitBreaker(const Options& options) : options_(options) {}

CircuitBreaker::Admission CircuitBreaker::admit() {
  std::lock_guard lock(mutex_);
  switch (state_) {
    case State::kClosed: return {};
    case State::kOpen: {
      const double open_s = std::chrono::duration<double>(Clock::now() - opened_at_).count();
      if (open_s >= options_.cooldown_s) {
        state_ = State::kHalfOpen;
        return {.allowed = true, .probe = true};
      }
      ++refused_;
      return {.allowed = false, .reopens_in_s = options_.cooldown_s - open_s};
    }
    case State::kHalfOpen:
      // The probe is in flight; the next chance comes when it fails (a new cool-down) or succeeds.
      ++refused_;
      return {.allowed = false, .reopens_in_s = options_.cooldown_s};
  }
  return {};
}

void CircuitBreaker::succeeded() {
  std::lock_guard lock(mutex_);
  state_ = State::kClosed;
  consecutive_failures_ = 0;
}

void CircuitBreaker::failed(bool probe, const std::string& reason) {
  std::lock_guard lock(mutex_);
  if (probe) {
    open_locked(reason);
    return;
  }
  if (state_ != State::kClosed) return;  // sent before the breaker opened: already counted as an outage
  ++consecutive_failures_;
  if (options_.failures > 0 && consecutive_failures_ >= options_.failures) open_locked(reason);
}

void CircuitBreaker::open_locked(const std::string& reason) {
  state_ = State::kOpen;
  opened_at_ = Clock::now();
  last_failure_ = reason;
  ++trips_;
}

CircuitBreaker::State CircuitBreaker::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

int64_t CircuitBreaker::trips() const {
  std::lock_guard lock(mutex_);
  return trips_;
}

int64_t CircuitBreaker::refused() const {
  std::lock_guard lock(mutex_);
  return refused_;
}

int64_t CircuitBreaker::consecutive_failures() const {
  std::lock_guard lock(mutex_);
  return consecutive_failures_;
}

std::string CircuitBreaker::last_failure() const {
  std::lock_guard lock(mutex_);
  return last_failure_;
}

}  // namespace spct::grm
