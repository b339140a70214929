// `grpo.preset`: one key that sets the published combination of GRPO settings of a paper.
//
// A preset is a layer of defaults, not a field of Config: the loader applies its settings after the schema
// defaults and before any file or override, so every key it sets can still be changed by a config file or on
// the command line, and `spct config show` names "preset <name>" as the origin of each value it chose. Like
// `extends:`, the key is consumed while loading; the resolved config holds the settings it produced.
//
//   grpo     DeepSeekMath GRPO: std-normalised advantages, per-sequence token mean, k3 KL in the loss
//            (beta 0.04), symmetric clip 0.2.
//   dr_grpo  Dr. GRPO: no std normalisation, token sums over a constant (max_new_tokens) instead of each
//            sequence's length, symmetric clip 0.2; the KL keys keep their values.
//   dapo     DAPO: no KL, token-level loss, clip-higher 0.2/0.28, dynamic sampling, and overlong reward
//            shaping (reward.overlong_shaping, which adds the `overlong` function: a preset does not edit the
//            reward.functions list a config sets).
//   none     no settings (the default).
#pragma once

#include <string>
#include <vector>

namespace spct::config {

inline constexpr const char* kPresetKey = "grpo.preset";

struct PresetSetting {
  std::string key;    // a schema key, "grpo.beta"
  std::string value;  // as YAML would write it, "0", "token_mean", "true"
};

// The preset names, "none" first.
const std::vector<std::string>& preset_names();

// The settings of preset `name`, in the order they apply. Throws spct::UsageError naming the known presets
// for an unknown name.
const std::vector<PresetSetting>& preset_settings(const std::string& name);

}  // namespace spct::config
