// Rewards decided by a PCRE2 pattern from the config:
//   regex   1 when reward.regex matches anywhere in the completion ("answer: [0-9]+"), else 0;
//   format  1 when reward.format_pattern matches the whole completion ("<think>.*</think>.*"), else 0.
#pragma once

#include <string>

#include "workers/reward/rules/pcre2_pattern.h"
#include "workers/reward/rules/reward_function.h"

namespace spct::reward {

class RegexReward final : public RewardFunction {
 public:
  // Throws spct::UsageError naming `config_key` when `pattern` is empty or does not compile.
  RegexReward(const std::string& pattern, const std::string& config_key);
  double score(const RewardInput& input) const override;

 private:
  const Pcre2Pattern pattern_;
};

class FormatReward final : public RewardFunction {
 public:
  // Throws spct::UsageError naming `config_key` when `pattern` is empty or does not compile.
  FormatReward(const std::string& pattern, const std::string& config_key);
  double score(const RewardInput& input) const override;

 private:
  const Pcre2Pattern pattern_;
};

}  // namespace spct::reward
