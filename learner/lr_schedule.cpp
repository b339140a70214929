#include "learner/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/config/config.h"
#include "core/error.h"

namespace spct::learner {
namespace {

const LrScheduleOptions& checked(const LrScheduleOptions& o) {
  if (!std::isfinite(o.peak_lr) || o.peak_lr < 0) {
    throw UsageError("learning-rate schedule: peak lr " + std::to_string(o.peak_lr) + " must be finite and >= 0");
  }
  if (o.warmup_steps < 0) {
    throw UsageError("learning-rate schedule: warmup steps " + std::to_string(o.warmup_steps) + " must be >= 0");
  }
  if (o.total_steps < 1) {
    throw UsageError("learning-rate schedule: total steps " + std::to_string(o.total_steps) + " must be >= 1");
  }
  if (!(o.min_lr_ratio >= 0 && o.min_lr_ratio <= 1)) {
    throw UsageError("learning-rate schedule: min lr ratio " + std::to_string(o.min_lr_ratio) + " must be in [0, 1]");
  }
  return o;
}

}  // namespace

LrSchedule::LrSchedule(const LrScheduleOptions& options) : options_(checked(options)) {}

double LrSchedule::lr_at(int64_t step) const {
  if (step < 0) throw Error(ExitCode::kFailure, "learning-rate schedule: negative step " + std::to_string(step));
  const LrScheduleOptions& o = options_;
  if (step < o.warmup_steps) {
    return o.peak_lr * static_cast<double>(step + 1) / static_cast<double>(o.warmup_steps);
  }
  if (o.decay == LrDecay::kConstant) return o.peak_lr;
  // A schedule whose warm-up covers the whole run has no decay phase: treat every later step as the end.
  const int64_t decay_steps = o.total_steps - o.warmup_steps;
  const double progress =
      decay_steps <= 0 ? 1.0
                       : std::min(1.0, static_cast<double>(step - o.warmup_steps) / static_cast<double>(decay_steps));
  const double cosine = 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
  return o.peak_lr * (o.min_lr_ratio + (1.0 - o.min_lr_ratio) * cosine);
}

LrSchedule lr_schedule_from_config(const config::GrpoSection& grpo, int64_t total_optimizer_steps) {
  return LrSchedule(LrScheduleOptions{.peak_lr = grpo.lr,
                                      .warmup_steps = grpo.warmup_steps,
                                      .total_steps = total_optimizer_steps,
                                      .decay = grpo.lr_schedule,
                                      .min_lr_ratio = grpo.min_lr_ratio});
}

}  // namespace spct::learner
