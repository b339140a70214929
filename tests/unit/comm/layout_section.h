// The layout section of a job with the given role counts, for the comm tests' rank layouts.
#pragma once

#include <cstdint>

#include "core/config/config.h"

namespace spct::comm::testing {

inline config::LayoutSection layout_of(int64_t rollout, int64_t reward, int64_t learners) {
  config::LayoutSection layout;
  layout.rollout_workers = rollout;
  layout.reward_workers = reward;
  layout.learners = learners;
  return layout;
}

}  // namespace spct::comm::testing
