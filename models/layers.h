// The stateless pieces of a Llama-style decoder layer: RMSNorm (and Gemma's), rotary position embeddings (with
// Llama 3 and linear frequency scaling), logit soft-capping and the gated MLP (SwiGLU, or Gemma's GeGLU). Every
// function works on any device and on float32, bfloat16 and float16 inputs; reductions that lose precision in 16 bits
// run in float32. In generation on the CPU, RMSNorm, the rotary embedding and SwiGLU's gate run as one loop each
// (models/layer_kernels_cpu.h, which gives their numerics against the ATen operations used everywhere else).
#pragma once

#include <ATen/core/Tensor.h>

#include <utility>

#include "models/fused_projections.h"
#include "models/linear.h"
#include "models/model_config.h"

namespace spct::models {

// y = x / sqrt(mean(x^2) + eps) * weight over the last dimension (computed in float32, returned in x's dtype).
at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps);

// Gemma's RMSNorm: x / sqrt(mean(x^2) + eps) * (1 + weight), all of it in float32 (the weight too), rounded to
// x's dtype once at the end. A zero weight is the identity scale, which is how Gemma checkpoints store it.
at::Tensor rms_norm_unit_offset(const at::Tensor& x, const at::Tensor& weight, double eps);

// cap * tanh(x / cap), in x's dtype: squashes attention scores or logits smoothly into (-cap, cap) (Gemma 2).
at::Tensor soft_cap(const at::Tensor& x, double cap);

// The inverse frequencies theta^(-2i/d), i < d/2, rescaled as config.rope_scaling says. [head_dim / 2] float32.
at::Tensor rope_inverse_frequencies(const ModelConfig& config, at::Device device);

// cos and sin tables for the given positions: position_ids [B, T] -> two [B, 1, T, head_dim] tensors in `dtype`,
// laid out as Hugging Face does (the two halves of head_dim share frequencies; see rotate_half).
std::pair<at::Tensor, at::Tensor> rope_tables(const at::Tensor& inverse_frequencies, const at::Tensor& position_ids,
                                              at::ScalarType dtype);

// x [B, H, T, D] rotated: x * cos + rotate_half(x) * sin with rotate_half(x) = cat(-x[D/2:], x[:D/2]).
at::Tensor apply_rope(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin);

// The gate's activation: SiLU (SwiGLU: Llama, Qwen) or the tanh approximation of GELU (GeGLU: Gemma's
// gelu_pytorch_tanh).
enum class GateActivation { kSilu, kGeluTanh };

// The gated feed-forward block: down(act(gate(x)) * up(x)); SwiGLU unless `activation` says otherwise.
struct SwiGluMlp {
  Linear gate_proj;  // [intermediate, hidden]
  Linear up_proj;    // [intermediate, hidden]
  Linear down_proj;  // [hidden, intermediate]
  GateActivation activation = GateActivation::kSilu;
  FusedProjections gate_up;  // gate_proj and up_proj as one product during generation

  at::Tensor forward(const at::Tensor& x) const;
};

}  // namespace spct::models
