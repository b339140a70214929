// DAPO's soft overlong punishment (arXiv 2503.14476): a length penalty that ramps up inside a buffer of L_cache
// tokens below the longest allowed completion L_max, instead of a cliff at L_max.
//
//   R(y) = 0                                 if |y| <= L_max - L_cache
//        = ((L_max - L_cache) - |y|) / L_cache   if L_max - L_cache < |y| <= L_max
//        = -1                                if |y| > L_max, or the completion was truncated
//
// The ramp reaches -1 exactly at |y| = L_max, so a truncated completion (which has |y| = L_max) gets the same
// -1 whether the flag or the count is used.
#pragma once

#include <cstdint>

#include "workers/reward/rules/reward_function.h"

namespace spct::reward {

class OverlongPenalty final : public RewardFunction {
 public:
  // L_max = rollout.max_new_tokens, L_cache = reward.overlong_buffer.
  // Throws spct::UsageError naming both keys unless 1 <= L_cache <= L_max.
  OverlongPenalty(int64_t max_tokens, int64_t buffer_tokens);

  double score(const RewardInput& input) const override;

 private:
  const int64_t max_tokens_;
  const int64_t buffer_tokens_;
};

}  // namespace spct::reward
