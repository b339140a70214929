// y = x W^T + b for float32 on the CPU through oneDNN, differentiable in x, W and b.
//
// Why: at::linear hands float32 CPU matmuls to MKL, and the wheel's MKL runs them 2-2.5x slower than the
// oneDNN inside the same wheel on AMD CPUs (bench/gemm: 1024³ at 2 threads on the build machine's AMD EPYC,
// MKL ~220 GFLOP/s, oneDNN ~480; a decode step's 64-row products 156 vs 379; docs/benchmarks.md). bfloat16
// already goes to oneDNN through at::linear, so only float32 takes this path.
//
// The kernel is PyTorch's registered operator mkldnn::_linear_pointwise (the one torch.compile's CPU backend
// emits), looked up once through the dispatcher; it reads strided operands as they lie, so the backward
// products (grad_x = g W, grad_W = g^T x) use it on transposed views without copies. Where a build of PyTorch
// lacks the operator or runs without oneDNN, onednn_linear_available() is false and callers use at::linear.
//
// Results are the same matmul up to float32 rounding (the two libraries block the sums differently); each is
// deterministic for a given shape and thread count.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

#include "models/onednn_min_weight.h"

namespace spct::models {

// True when this process's PyTorch has the oneDNN linear operator and oneDNN is enabled.
bool onednn_linear_available();

// True when linear(x, weight, bias) should take onednn_linear: both float32 CPU tensors, the product at least
// 16 MFLOP and the weight at least 256 x 256 elements (smaller ones cost oneDNN's fixed per-call time more than
// MKL's), and onednn_linear_available().
bool onednn_linear_applies(const at::Tensor& x, const at::Tensor& weight);

// x [..., in], weight [out, in], bias [out] or undefined -> [..., out]. Records a backward when grad mode is
// on and an operand requires grad. REQUIRES: onednn_linear_available(), float32 CPU operands, none empty.
at::Tensor onednn_linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias);

// The weight reordered into oneDNN's blocked layout (an opaque MKLDNN tensor that only onednn_linear_packed reads),
// so that products skip the reorder oneDNN otherwise does on every call, which a decode step's few rows feel most
// (Qwen2.5-0.5B's decode-step projections at batch 64: 86 vs 106 ms in bfloat16, 170 vs 220 in float32;
// bench/rollout/decode_floor.py).
// REQUIRES: onednn_linear_available(), a float32 or bfloat16 CPU weight [out, in].
at::Tensor onednn_pack_weight(const at::Tensor& weight);

// x [..., in] times a weight packed by onednn_pack_weight, plus bias [out] or undefined; no autograd. The same
// product as onednn_linear's up to rounding. REQUIRES: x in the weight's dtype, on the CPU.
at::Tensor onednn_linear_packed(const at::Tensor& x, const at::Tensor& packed, const at::Tensor& bias);

}  // namespace spct::models
