// The small Qwen2-shaped model config the model_io tests save and load (bias in q/k/v, grouped KV heads).
#pragma once

#include <ATen/Parallel.h>

#include "models/model_config.h"

namespace spct::testing {

inline models::ModelConfig small_model_config(bool tied, models::DType dtype = models::DType::kFloat32) {
  at::set_num_threads(1);
  models::ModelConfig config;
  config.family = models::Family::kQwen2;
  config.qkv_bias = true;
  config.vocab_size = 40;
  config.hidden_size = 32;
  config.num_layers = 2;
  config.num_heads = 4;
  config.num_kv_heads = 2;
  config.head_dim = 8;
  config.intermediate_size = 48;
  config.max_position = 64;
  config.tie_embeddings = tied;
  config.dtype = dtype;
  return config;
}

}  // namespace spct::testing
