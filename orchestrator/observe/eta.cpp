#include "orchestrator/observe/eta.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace spct::observe {

void EtaEstimator::add_step(double seconds) {
  const double kept = std::max(0.0, seconds);
  recent_.push_back(kept);
  recent_sum_ += kept;
  if (recent_.size() > window_) {
    recent_sum_ -= recent_.front();
    recent_.pop_front();
  }
}

std::optional<double> EtaEstimator::seconds_per_step() const {
  if (recent_.empty()) return std::nullopt;
  // Subtracting old steps from the running sum can round it a hair below 0.
  return std::max(0.0, recent_sum_) / static_cast<double>(recent_.size());
}

std::optional<double> EtaEstimator::eta_s(int64_t remaining_steps) const {
  if (remaining_steps <= 0) return 0.0;
  const std::optional<double> per_step = seconds_per_step();
  if (!per_step) return std::nullopt;
  return *per_step * static_cast<double>(remaining_steps);
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto total = static_cast<int64_t>(std::llround(seconds));
  const int64_t days = total / 86400, hours = total % 86400 / 3600, minutes = total % 3600 / 60, secs = total % 60;
  if (days > 0) return fmt::format("{}d{:02}h", days, hours);
  if (hours > 0) return fmt::format("{}h{:02}m", hours, minutes);
  if (minutes > 0) return fmt::format("{}m{:02}s", minutes, secs);
  return fmt::format("{}s", secs);
}

}  // namespace spct::observe
