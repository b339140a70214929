#include "workers/reward/rules/reward_registry.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <utility>

#include "core/error.h"

namespace spct::reward {
namespace {

// Function-local so that registrations in other files' static initialisers find it constructed.
std::map<std::string, RewardFactory>& registry() {
  static std::map<std::string, RewardFactory> factories;
  return factories;
}

}  // namespace

RewardRegistration::RewardRegistration(std::string name, RewardFactory factory) {
  if (!registry().emplace(name, std::move(factory)).second) {
    std::fprintf(stderr, "spct: reward \"%s\" is registered twice\n", name.c_str());
    std::abort();
  }
}

std::vector<std::string> registered_rewards() {
  std::vector<std::string> names;
  for (const auto& [name, factory] : registry()) names.push_back(name);
  return names;
}

std::unique_ptr<const RewardFunction> make_rule_reward(const std::string& name, const RuleOptions& options) {
  const auto found = registry().find(name);
  if (found != registry().end()) return found->second(options);
  std::string known;
  for (const std::string& registered : registered_rewards()) known += (known.empty() ? "" : ", ") + registered;
  throw UsageError("reward.functions: unknown reward function \"" + name + "\" (registered: " + known +
                   ", grm; or NAME=command:PROGRAM ARGS..., NAME=http:URL or NAME=scalar:DIR, see docs/rewards.md)");
}

}  // namespace spct::reward
