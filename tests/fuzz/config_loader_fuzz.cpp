// libFuzzer target for the experiment-config loader: any bytes, as a config file and as an override, must give
// a config or an spct::Error with a message; never a crash, a hang or another exception type.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/config/loader.h"
#include "core/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    spct::config::load_config_text(text, "<fuzz>", ".", {});
  } catch (const spct::Error&) {
  }
  // The same bytes as the value of an override of each type.
  for (const char* key :
       {"run.steps=", "rollout.temperature=", "reward.functions=", "data.shuffle=", "grpo.kl_estimator="}) {
    try {
      spct::config::load_config_text("run: {}\n", "<fuzz>", ".", {key + text});
    } catch (const spct::Error&) {
    }
  }
  return 0;
}
