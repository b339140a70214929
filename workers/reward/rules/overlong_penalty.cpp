#include "workers/reward/rules/overlong_penalty.h"

#include <string>

#include "core/error.h"
#include "workers/reward/rules/reward_registry.h"

namespace spct::reward {

OverlongPenalty::OverlongPenalty(int64_t max_tokens, int64_t buffer_tokens)
    : max_tokens_(max_tokens), buffer_tokens_(buffer_tokens) {
  if (buffer_tokens < 1 || buffer_tokens > max_tokens) {
    throw UsageError("reward.overlong_buffer (" + std::to_string(buffer_tokens) +
                     ") must be between 1 and rollout.max_new_tokens (" + std::to_string(max_tokens) + ")");
  }
}

double OverlongPenalty::score(const RewardInput& input) const {
  const int64_t length = input.completion_tokens;
  if (input.truncated || length > max_tokens_) return -1.0;
  const int64_t free_length = max_tokens_ - buffer_tokens_;
  if (length <= free_length) return 0.0;
  return static_cast<double>(free_length - length) / static_cast<double>(buffer_tokens_);
}

namespace {

const RewardRegistration kOverlong("overlong", [](const RuleOptions& options) {
  return std::make_unique<OverlongPenalty>(options.max_new_tokens, options.overlong_buffer);
});

}  // namespace

}  // namespace spct::reward
