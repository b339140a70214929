// The learning-rate schedule: linear warm-up, then constant or cosine decay to a floor.
//
//   step s is the 0-based index of the optimizer step about to be taken, W = warmup_steps, T = total_steps.
//   warm-up   (s < W):  lr = peak * (s + 1) / W          the first step already moves; step W - 1 is at peak
//   constant  (s >= W): lr = peak
//   cosine    (s >= W): p = min(1, (s - W) / (T - W)),  lr = peak * (m + (1 - m) * (1 + cos(pi p)) / 2),
//                       m = min_lr_ratio; step W is at peak, step T and later at peak * m
//
// Thread safety: immutable after construction; lr_at() is safe to call concurrently.
#pragma once

#include <cstdint>

#include "core/config/choices.h"

namespace spct::config {
struct GrpoSection;
}

namespace spct::learner {

using config::LrDecay;  // grpo.lr_schedule

struct LrScheduleOptions {
  double peak_lr = 1e-3;     // REQUIRES: finite, >= 0
  int64_t warmup_steps = 0;  // REQUIRES: >= 0
  int64_t total_steps = 1;   // optimizer steps in the whole run; REQUIRES: >= 1 (used by the cosine decay)
  LrDecay decay = LrDecay::kConstant;
  double min_lr_ratio = 0.0;  // cosine floor as a fraction of peak_lr; REQUIRES: 0 <= min_lr_ratio <= 1
};

class LrSchedule {
 public:
  // Throws spct::UsageError naming the option when a REQUIRES above does not hold.
  explicit LrSchedule(const LrScheduleOptions& options);

  // The learning rate for optimizer step `step` (0-based). REQUIRES: step >= 0.
  double lr_at(int64_t step) const;

  const LrScheduleOptions& options() const { return options_; }

 private:
  const LrScheduleOptions options_;
};

// The schedule of the grpo section: peak grpo.lr, grpo.warmup_steps, grpo.lr_schedule, grpo.min_lr_ratio,
// over `total_optimizer_steps` (run.steps * grpo.epochs * grpo.minibatches for one optimizer step per
// minibatch).
LrSchedule lr_schedule_from_config(const config::GrpoSection& grpo, int64_t total_optimizer_steps);

}  // namespace spct::learner
