#include "core/config/remote_grm_budget.h"

#include <algorithm>
#include <cmath>

namespace spct::config {

double remote_backoff_bound_s(int64_t attempt) {
  const double base =
      std::min(kRemoteBackoffMaxS, kRemoteBackoffInitialS * std::pow(2.0, static_cast<double>(attempt)));
  return base * (1 + kRemoteBackoffJitter);
}

int64_t remote_hang_attempts(const GrmSection& grm) {
  return std::max(grm.remote_retries + 1, grm.remote_breaker_failures);
}

double remote_hang_bound_s(const GrmSection& grm) {
  const int64_t attempts = remote_hang_attempts(grm);
  double seconds = static_cast<double>(attempts) * grm.remote_timeout_s;
  for (int64_t retry = 0; retry + 1 < attempts; ++retry) seconds += remote_backoff_bound_s(retry);
  return seconds;
}

}  // namespace spct::config
