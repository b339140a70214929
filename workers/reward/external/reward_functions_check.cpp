#include "workers/reward/external/reward_functions_check.h"

#include <algorithm>

#include "core/error.h"
#include "workers/reward/external/external_reward.h"
#include "workers/reward/rules/reward_registry.h"

namespace spct::reward {

void check_reward_functions(const std::vector<std::string>& functions, const std::string& where) {
  const std::vector<std::string> rules = registered_rewards();
  for (const std::string& entry : functions) {
    try {
      if (entry == "grm" || std::find(rules.begin(), rules.end(), entry) != rules.end()) continue;
      if (!parse_external_spec(entry)) {
        make_rule_reward(entry, RuleOptions{});  // throws the message listing the registered rewards
      }
    } catch (const UsageError& error) {
      throw UsageError(where + ": " + error.what());
    }
  }
}

}  // namespace spct::reward
