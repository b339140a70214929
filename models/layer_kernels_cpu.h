// Generation's element-wise steps of a decoder layer on the CPU, each in one pass over memory: RMSNorm, rotary
// position embeddings and SwiGLU's gate (silu(gate) * up). models/layers.cpp takes them for generation
// (c10::InferenceMode) on float32 and bfloat16 CPU tensors, and ATen's operations everywhere else (training,
// other dtypes, GPUs).
//
// Why: a decode step applies these to a few rows per layer, and ATen runs each as a chain of small operations
// (RMSNorm in bfloat16: widen, square, mean, add, rsqrt, multiply, round, multiply by the weight), each a pass
// over memory, a dispatch and a parallel region. At Qwen2.5-0.5B's shape, batch 64, bfloat16 they were ~10% of
// a decode step on 2 threads of the Intel build machine (docs/benchmarks.md).
//
// Numerics, against the ATen operations they replace (tested in tests/unit/models/layer_kernels_cpu_test.cpp):
// - rotary embeddings: the same bits. ATen rounds x * cos, rotate_half(x) * sin and their sum to the dtype one
//   after the other; so does this.
// - RMSNorm: the same operations and roundings but for the order of the sum of squares (16 lanes, fixed, so a
//   row has the same bits wherever it sits and whatever the thread count): float32 within a few roundings of
//   ATen's, bfloat16 at most one bfloat16 step apart.
// - silu(gate) * up: exp by a polynomial within 2 float32 roundings (models/vector_math_cpu.h), so float32 within
//   a few roundings of ATen's silu, bfloat16 at most one step apart; silu(gate) is rounded to the dtype before the
//   product, as ATen's two operations round. Below a gate of -87 the exponential is taken at -87, so silu is
//   x e^-87 there (|silu| <= 1.7e-38 |x|) where ATen's is smaller still.
#pragma once

#include <ATen/core/Tensor.h>

namespace spct::models {

// Whether rms_norm_cpu takes (x, weight): generation (c10::InferenceMode) on the CPU, x and weight of one dtype,
// float32 or bfloat16, x contiguous, weight [x.size(-1)] contiguous.
bool rms_norm_cpu_applies(const at::Tensor& x, const at::Tensor& weight);

// x / sqrt(mean(x^2) + eps) * weight over the last dimension, as models::rms_norm computes it. Contiguous, x's
// shape and dtype. REQUIRES: rms_norm_cpu_applies(x, weight).
at::Tensor rms_norm_cpu(const at::Tensor& x, const at::Tensor& weight, double eps);

// Whether apply_rope_cpu takes (x, cos, sin): generation on the CPU, one dtype (float32 or bfloat16), x
// [B, H, T, D] with D even and its last dimension contiguous (any other strides: the transposed view of a
// projection), cos and sin [B, 1, T, D] with their last dimension contiguous.
bool apply_rope_cpu_applies(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin);

// x * cos + rotate_half(x) * sin, as models::apply_rope computes it; contiguous [B, H, T, D].
// REQUIRES: apply_rope_cpu_applies(x, cos, sin).
at::Tensor apply_rope_cpu(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin);

// Whether silu_mul_cpu takes (gate, up): generation on the CPU, one shape and dtype (float32 or bfloat16), each
// a stack of rows with a contiguous last dimension and one stride between rows (the column views of one stacked
// product, models/fused_projections.h).
bool silu_mul_cpu_applies(const at::Tensor& gate, const at::Tensor& up);

// silu(gate) * up with silu(gate) rounded to the dtype first, as ATen's two operations; contiguous, gate's shape.
// REQUIRES: silu_mul_cpu_applies(gate, up).
at::Tensor silu_mul_cpu(const at::Tensor& gate, const at::Tensor& up);

}  // namespace spct::models
