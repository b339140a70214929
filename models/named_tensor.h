// A parameter and its Hugging Face name, the unit in which models are loaded, saved, synchronised and optimised.
#pragma once

#include <ATen/core/Tensor.h>

#include <string>

namespace spct::models {

struct NamedTensor {
  std::string name;   // e.g. "model.layers.0.self_attn.q_proj.weight"
  at::Tensor tensor;  // aliases the model's storage: copy_() into it (under at::NoGradGuard) to load weights
};

}  // namespace spct::models
