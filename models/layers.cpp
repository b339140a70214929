#include "models/layers.h"

#include <ATen/TensorOperators.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/gelu.h>
#include <ATen/ops/pow.h>
#include <ATen/ops/rsqrt.h>
#include <ATen/ops/silu.h>
#include <ATen/ops/tanh.h>
#include <ATen/ops/where.h>

#include <cmath>
#include <numbers>

#include "models/layer_kernels_cpu.h"

namespace spct::models {

at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps) {
  if (rms_norm_cpu_applies(x, weight)) return rms_norm_cpu(x, weight, eps);
  const bool upcast = x.scalar_type() != at::kFloat;
  const at::Tensor xf = upcast ? x.to(at::kFloat) : x;
  const at::Tensor normed = xf * at::rsqrt(xf.pow(2).mean(-1, /*keepdim=*/true) + eps);
  return (upcast ? normed.to(x.scalar_type()) : normed) * weight;
}

at::Tensor rms_norm_unit_offset(const at::Tensor& x, const at::Tensor& weight, double eps) {
  const at::Tensor xf = x.to(at::kFloat);
  const at::Tensor normed = xf * at::rsqrt(xf.pow(2).mean(-1, /*keepdim=*/true) + eps);
  return (normed * (weight.to(at::kFloat) + 1.0)).to(x.scalar_type());
}

at::Tensor soft_cap(const at::Tensor& x, double cap) {
  return at::tanh(x / cap) * cap;
}

at::Tensor rope_inverse_frequencies(const ModelConfig& config, at::Device device) {
  const int64_t d = config.head_dim;
  // Computed in double on the CPU so that every device sees the same frequencies.
  at::Tensor exponent = at::arange(0, d, 2, at::TensorOptions().dtype(at::kDouble)) / static_cast<double>(d);
  at::Tensor inv_freq = 1.0 / at::pow(config.rope_theta, exponent);
  const RopeScaling& s = config.rope_scaling;
  if (s.type == RopeScalingType::kLinear) {
    inv_freq = inv_freq / s.factor;
  } else if (s.type == RopeScalingType::kLlama3) {
    // Llama 3.1: wavelengths shorter than original/high_freq_factor keep their frequency, longer than
    // original/low_freq_factor are divided by factor, and the band between blends the two linearly in
    // original/wavelength.
    const double low_wavelen = static_cast<double>(s.original_max_position) / s.low_freq_factor;
    const double high_wavelen = static_cast<double>(s.original_max_position) / s.high_freq_factor;
    const at::Tensor wavelen = 2.0 * std::numbers::pi / inv_freq;
    const at::Tensor smooth = (static_cast<double>(s.original_max_position) / wavelen - s.low_freq_factor) /
                              (s.high_freq_factor - s.low_freq_factor);
    const at::Tensor blended = (1.0 - smooth) * inv_freq / s.factor + smooth * inv_freq;
    inv_freq =
        at::where(wavelen < high_wavelen, inv_freq, at::where(wavelen > low_wavelen, inv_freq / s.factor, blended));
  }
  return inv_freq.to(at::kFloat).to(device);
}

std::pair<at::Tensor, at::Tensor> rope_tables(const at::Tensor& inverse_frequencies, const at::Tensor& position_ids,
                                              at::ScalarType dtype) {
  // Angles in float32 whatever the model dtype: bf16 positions beyond 256 would collide.
  const at::Tensor angles = position_ids.to(at::kFloat).unsqueeze(-1) * inverse_frequencies;  // [B, T, D/2]
  // Both halves of head_dim share the angles: cos and sin of D/2 of them, then duplicated. Large angles take
  // sin and cos a slow argument reduction, which made computing them for all D a visible share of a decode step
  // at small widths.
  const at::Tensor cos = angles.cos();
  const at::Tensor sin = angles.sin();
  return {at::cat({cos, cos}, -1).unsqueeze(1).to(dtype), at::cat({sin, sin}, -1).unsqueeze(1).to(dtype)};
}

at::Tensor apply_rope(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
  if (apply_rope_cpu_applies(x, cos, sin)) return apply_rope_cpu(x, cos, sin);
  const int64_t half = x.size(-1) / 2;
  const at::Tensor rotated = at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
  return x * cos + rotated * sin;
}

at::Tensor SwiGluMlp::forward(const at::Tensor& x) const {
  const std::vector<at::Tensor> gate_and_up = gate_up.forward(x, {&gate_proj, &up_proj});
  const at::Tensor& gate = gate_and_up[0];
  if (activation == GateActivation::kSilu && silu_mul_cpu_applies(gate, gate_and_up[1])) {
    return down_proj.forward(silu_mul_cpu(gate, gate_and_up[1]));
  }
  const at::Tensor activated = activation == GateActivation::kGeluTanh ? at::gelu(gate, "tanh") : at::silu(gate);
  return down_proj.forward(activated * gate_and_up[1]);
}

}  // namespace spct::models
