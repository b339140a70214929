// Remaining-time estimate of a run and the short duration format progress output uses.
//
// The estimate is the mean duration of the most recent steps times the steps left: a window rather than the
// whole run, because the first steps are slower (allocation, warm caches) and a resumed or re-laid-out run
// changes speed.
//
// Thread safety: an EtaEstimator is used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

namespace spct::observe {

class EtaEstimator {
 public:
  // REQUIRES: window >= 1.
  explicit EtaEstimator(std::size_t window = 20) : window_(window) {}

  // Records one finished step that took `seconds` (negative values count as 0).
  void add_step(double seconds);

  // Mean seconds per step over the window, or nothing before the first step.
  std::optional<double> seconds_per_step() const;

  // Seconds until `remaining_steps` more steps are done; 0 when none remain, nothing before the first step.
  std::optional<double> eta_s(int64_t remaining_steps) const;

 private:
  const std::size_t window_;
  std::deque<double> recent_;
  double recent_sum_ = 0;
};

// "45s", "3m05s", "2h04m", "3d02h": at most two units, for a progress line. Negative and non-finite values are
// shown as "?".
std::string format_duration(double seconds);

}  // namespace spct::observe
