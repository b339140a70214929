#include "learner/lr_schedule.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <numbers>

#include "core/config/config.h"
#include "core/error.h"

using namespace spct::learner;

TEST_CASE("warm-up then cosine to the floor, at the boundaries", "[lr_schedule]") {
  // peak 1, W = 4, T = 10, m = 0.1.
  const LrSchedule s(LrScheduleOptions{
      .peak_lr = 1.0, .warmup_steps = 4, .total_steps = 10, .decay = LrDecay::kCosine, .min_lr_ratio = 0.1});
  CHECK(s.lr_at(0) == Approx(0.25));  // (0 + 1) / 4: the first step already moves
  CHECK(s.lr_at(2) == Approx(0.75));
  CHECK(s.lr_at(3) == Approx(1.0));   // last warm-up step reaches the peak
  CHECK(s.lr_at(4) == Approx(1.0));   // decay starts at the peak: p = 0
  CHECK(s.lr_at(7) == Approx(0.55));  // p = 3 / 6 = 0.5: 0.1 + 0.9 * (1 + cos(pi/2)) / 2
  CHECK(s.lr_at(9) == Approx(0.1 + 0.9 * 0.5 * (1 + std::cos(std::numbers::pi * 5.0 / 6.0))));
  CHECK(s.lr_at(10) == Approx(0.1));  // the end of the run: the floor
  CHECK(s.lr_at(1000) == Approx(0.1));
  CHECK_THROWS_AS(s.lr_at(-1), spct::Error);
}

TEST_CASE("constant schedule and no warm-up", "[lr_schedule]") {
  const LrSchedule constant(LrScheduleOptions{.peak_lr = 3e-3, .warmup_steps = 2, .total_steps = 5});
  CHECK(constant.lr_at(0) == Approx(1.5e-3));
  CHECK(constant.lr_at(1) == Approx(3e-3));
  CHECK(constant.lr_at(2) == Approx(3e-3));
  CHECK(constant.lr_at(500) == Approx(3e-3));
  const LrSchedule cosine(LrScheduleOptions{.peak_lr = 2.0, .total_steps = 4, .decay = LrDecay::kCosine});
  CHECK(cosine.lr_at(0) == Approx(2.0));
  CHECK(cosine.lr_at(2) == Approx(1.0));
  CHECK(cosine.lr_at(4) == Approx(0.0).margin(1e-15));
  // Warm-up as long as the run: the decay phase is empty, so every later step sits at the floor.
  const LrSchedule all_warmup(LrScheduleOptions{
      .peak_lr = 1.0, .warmup_steps = 3, .total_steps = 3, .decay = LrDecay::kCosine, .min_lr_ratio = 0.5});
  CHECK(all_warmup.lr_at(2) == Approx(1.0));
  CHECK(all_warmup.lr_at(3) == Approx(0.5));
}

TEST_CASE("schedule from the grpo section, and bad options", "[lr_schedule]") {
  using Catch::Matchers::Contains;
  spct::config::GrpoSection grpo;
  grpo.lr = 1e-3;
  grpo.warmup_steps = 1;
  grpo.lr_schedule = spct::config::LrDecay::kCosine;
  grpo.min_lr_ratio = 0.2;
  const LrSchedule s = lr_schedule_from_config(grpo, 11);
  CHECK(s.lr_at(0) == Approx(1e-3));
  CHECK(s.lr_at(11) == Approx(2e-4));
  CHECK_THROWS_WITH(LrSchedule(LrScheduleOptions{.total_steps = 0}), Contains("total steps 0"));
  CHECK_THROWS_WITH(LrSchedule(LrScheduleOptions{.min_lr_ratio = 1.5}), Contains("min lr ratio"));
  CHECK_THROWS_AS(LrSchedule(LrScheduleOptions{.warmup_steps = -1}), spct::UsageError);
}
