// A circuit breaker for the requests to one server, so that an outage costs a few failed requests instead of
// every request waiting out its timeout and retries.
//
// States:
//   closed     requests are sent; consecutive failures are counted, and a success resets the count.
//   open       after `failures` consecutive failures: requests are refused at once (never sent) until
//              `cooldown_s` have passed since the breaker opened.
//   half-open  the first request after the cool-down is sent as a probe, while the others are still refused;
//              the probe's success closes the breaker, its failure opens it for another cool-down.
// A success of any request, even one sent before the breaker opened, closes it: the server answered. The failure
// of a request sent before the breaker opened, reported while it is open or half-open, changes nothing.
// With failures = 0 the breaker never opens.
//
// Thread safety: every member may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace spct::grm {

class CircuitBreaker {
 public:
  enum class State { kClosed, kOpen, kHalfOpen };

  struct Options {
    int64_t failures = 3;  // consecutive failures that open the breaker; 0: never opens
    double cooldown_s = 30;
  };

  // What admit() decided.
  struct Admission {
    bool allowed = true;
    bool probe = false;       // allowed as the half-open probe: pass it back to succeeded() / failed()
    double reopens_in_s = 0;  // refused: seconds until the next probe may go
  };

  explicit CircuitBreaker(const Options& options);

  // Whether a request may be sent now (see the states above).
  Admission admit();
  // The outcome of an allowed request. `probe` as admit() said; `reason` is kept for refusal messages.
  void succeeded();
  void failed(bool probe, const std::string& reason);

  State state() const;
  int64_t trips() const;    // times the breaker opened, probes that failed included
  int64_t refused() const;  // requests refused without being sent
  int64_t consecutive_failures() const;
  std::string last_failure() const;  // the reason of the failure that last opened the breaker

 private:
  using Clock = std::chrono::steady_clock;
  void open_locked(const std::string& reason);

  const Options options_;
  mutable std::mutex mutex_;  // guards everything below
  State state_ = State::kClosed;
  int64_t consecutive_failures_ = 0;
  Clock::time_point opened_at_;
  int64_t trips_ = 0;
  int64_t refused_ = 0;
  std::string last_failure_;
};

}  // namespace spct::grm
