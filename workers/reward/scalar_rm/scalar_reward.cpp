#include "workers/reward/scalar_rm/scalar_reward.h"

#include <cmath>

#include "models/device.h"
#include "models/tokenizer/factory.h"
#include "workers/reward/grm_model/meta_rm.h"

namespace spct::reward {

ScalarReward::ScalarReward(const std::string& dir, const grm::ModelLoadOptions& load)
    : model_(grm::load_meta_rm(dir, models::device_for(load.device))),
      tokenizer_(tokenizer::make_tokenizer(load.tokenizer, dir)) {}

ExternalScores ScalarReward::score(const ExternalGroup& group) {
  const std::vector<std::string> prompts(group.completions->size(), std::string(group.prompt));
  std::vector<double> rewards = grm::rate_critiques(*model_, *tokenizer_, prompts, *group.completions);
  for (double& reward : rewards) reward = 1 / (1 + std::exp(-reward));
  return {.scores = std::move(rewards), .info = {}};
}

}  // namespace spct::reward
