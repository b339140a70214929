// The stateless pieces of a Llama-style decoder layer: RMSNorm, rotary position embeddings (with Llama 3 and
// linear frequency scaling) and the SwiGLU MLP. Every function works on any device and on float32, bfloat16
// and float16 inputs; reductions that lose precision in 16 bits run in float32.
#pragma once

#include <ATen/core/Tensor.h>

#include <utility>

#include "models/linear.h"
#include "models/model_config.h"

namespace spct::models {

// y = x / sqrt(mean(x^2) + eps) * weight over the last dimension (computed in float32, returned in x's dtype).
at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps);

// The inverse frequencies theta^(-2i/d), i < d/2, rescaled as config.rope_scaling says. [head_dim / 2] float32.
at::Tensor rope_inverse_frequencies(const ModelConfig& config, at::Device device);

// cos and sin tables for the given positions: position_ids [B, T] -> two [B, 1, T, head_dim] tensors in `dtype`,
// laid out as Hugging Face does (the two halves of head_dim share frequencies; see rotate_half).
std::pair<at::Tensor, at::Tensor> rope_tables(const at::Tensor& inverse_frequencies, const at::Tensor& position_ids,
                                              at::ScalarType dtype);

// x [B, H, T, D] rotated: x * cos + rotate_half(x) * sin with rotate_half(x) = cat(-x[D/2:], x[:D/2]).
at::Tensor apply_rope(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin);

// The SwiGLU feed-forward block: down(silu(gate(x)) * up(x)).
struct SwiGluMlp {
  Linear gate_proj;  // [intermediate, hidden]
  Linear up_proj;    // [intermediate, hidden]
  Linear down_proj;  // [hidden, intermediate]

  at::Tensor forward(const at::Tensor& x) const;
};

}  // namespace spct::models
