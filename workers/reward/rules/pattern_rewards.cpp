#include "workers/reward/rules/pattern_rewards.h"

#include "core/error.h"
#include "workers/reward/rules/reward_registry.h"

namespace spct::reward {

namespace {

// An empty pattern matches everything: a config that names the function but forgot its pattern.
const std::string& require_pattern(const std::string& pattern, const std::string& config_key,
                                   const std::string& function) {
  if (pattern.empty()) {
    throw UsageError(config_key + " is empty but reward.functions lists \"" + function + "\": set the pattern");
  }
  return pattern;
}

}  // namespace

RegexReward::RegexReward(const std::string& pattern, const std::string& config_key)
    : pattern_(require_pattern(pattern, config_key, "regex"), Pcre2Pattern::Anchoring::kAnywhere, config_key) {}

double RegexReward::score(const RewardInput& input) const {
  return pattern_.matches(input.completion) ? 1.0 : 0.0;
}

FormatReward::FormatReward(const std::string& pattern, const std::string& config_key)
    : pattern_(require_pattern(pattern, config_key, "format"), Pcre2Pattern::Anchoring::kWholeText, config_key) {}

double FormatReward::score(const RewardInput& input) const {
  return pattern_.matches(input.completion) ? 1.0 : 0.0;
}

namespace {

const RewardRegistration kRegex("regex", [](const RuleOptions& options) {
  return std::make_unique<RegexReward>(options.regex, "reward.regex");
});
const RewardRegistration kFormat("format", [](const RuleOptions& options) {
  return std::make_unique<FormatReward>(options.format_pattern, "reward.format_pattern");
});

}  // namespace

}  // namespace spct::reward
