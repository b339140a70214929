#include "core/config/presets.h"

#include <map>

#include "core/error.h"

namespace spct::config {

namespace {

// The values come from the papers (../shared/reference/algorithms.md section 4); keys not listed keep their
// schema defaults.
const std::map<std::string, std::vector<PresetSetting>>& presets() {
  static const std::map<std::string, std::vector<PresetSetting>> table = {
      {"none", {}},
      {"grpo",
       {{"grpo.std_normalize", "true"},
        {"grpo.loss_aggregation", "seq_mean_token_mean"},
        {"grpo.beta", "0.04"},
        {"grpo.kl_estimator", "k3"},
        {"grpo.kl_in", "loss"},
        {"grpo.clip_low", "0.2"},
        {"grpo.clip_high", "0.2"}}},
      {"dr_grpo",
       {{"grpo.std_normalize", "false"},
        {"grpo.loss_aggregation", "seq_mean_token_sum_norm"},
        {"grpo.clip_low", "0.2"},
        {"grpo.clip_high", "0.2"}}},
      {"dapo",
       {{"grpo.std_normalize", "true"},
        {"grpo.loss_aggregation", "token_mean"},
        {"grpo.beta", "0"},
        {"grpo.clip_low", "0.2"},
        {"grpo.clip_high", "0.28"},
        {"grpo.dynamic_sampling", "true"},
        {"reward.overlong_shaping", "true"}}},
  };
  return table;
}

}  // namespace

const std::vector<std::string>& preset_names() {
  static const std::vector<std::string> names = {"none", "grpo", "dr_grpo", "dapo"};
  return names;
}

const std::vector<PresetSetting>& preset_settings(const std::string& name) {
  const auto it = presets().find(name);
  if (it == presets().end()) {
    std::string known;
    for (const std::string& n : preset_names()) known += (known.empty() ? "" : ", ") + n;
    throw UsageError(std::string(kPresetKey) + ": unknown preset \"" + name + "\" (choose " + known + ")");
  }
  return it->second;
}

}  // namespace spct::config
