#include <memory>

#include "workers/reward/external/command_reward.h"
#include "workers/reward/external/external_reward.h"
#include "workers/reward/external/http_reward.h"

namespace spct::reward {

std::unique_ptr<ExternalReward> make_external_reward(const ExternalSpec& spec) {
  if (spec.kind == "command") return std::make_unique<CommandReward>(spec.name, spec.target, spec.options);
  if (spec.kind == "scalar") {
    throw UsageError("reward.functions: \"" + spec.name + "=scalar:" + spec.target +
                     "\": a scalar reward model is loaded by the reward worker (scalar_rm/scalar_reward.h), not here");
  }
  return std::make_unique<HttpReward>(spec.name, spec.target, spec.options);
}

}  // namespace spct::reward
