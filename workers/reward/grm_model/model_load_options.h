// How a reward worker, `spct eval` or a GRM job loads a reward model's directory (a GRM, a meta RM, a scalar RM):
// the tokenizer settings, whose files are read from that directory, and the device. reward_worker_options.h
// fills it from the config (model_load_options).
#pragma once

#include "core/config/config.h"

namespace spct::grm {

struct ModelLoadOptions {
  config::TokenizerSection tokenizer;             // tokenizer.*
  config::Device device = config::Device::kAuto;  // model.device
};

}  // namespace spct::grm
