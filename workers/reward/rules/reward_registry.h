// The registry of rule rewards: reward.functions names -> a factory building the function from RuleOptions.
//
// Every rule registers itself in its own .cpp with a file-scope RewardRegistration, so adding a rule is one new
// file (plus its line in rules/CMakeLists.txt): nothing else lists the rules. The library is linked whole
// (rules/CMakeLists.txt), so a registration is never dropped by the linker for want of a reference.
//
// Each factory passes its function the options it needs (rule_options.h) and validates them, throwing
// spct::UsageError that names the config key.
//
// Thread safety: registration runs during static initialisation; lookups afterwards are read-only.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "workers/reward/rules/reward_function.h"
#include "workers/reward/rules/rule_options.h"

namespace spct::reward {

using RewardFactory = std::function<std::unique_ptr<const RewardFunction>(const RuleOptions&)>;

// Registers `name` at static initialisation. A name registered twice aborts the process at start-up (a
// programming error, found by any test).
struct RewardRegistration {
  RewardRegistration(std::string name, RewardFactory factory);
};

// The registered names, sorted.
std::vector<std::string> registered_rewards();

// Builds the rule `name` with `options`. Throws spct::UsageError naming reward.functions and listing the
// registered names when `name` is unknown, or what the factory throws for bad options.
std::unique_ptr<const RewardFunction> make_rule_reward(const std::string& name, const RuleOptions& options);

}  // namespace spct::reward
