// AdamW's update as one pass over memory on the CPU: each element's parameter, gradient and two moments are read
// once and written once, where the same update in ATen operations (learner/optimizer.cpp) runs seven passes over
// slices of them. At 0.5B float32 parameters that is 1.1 s a step on 2 cores against a memory floor of about
// 0.6 s (28 bytes an element); bench/learner/bench_adamw.cpp measures both.
//
// Arithmetic: float32 throughout, each operation rounded as IEEE single precision (no fused multiply-add, so
// every element gets the same bits whichever part of the vector loop or thread handles it, and a slice of a
// tensor gets exactly the whole tensor's values):
//   g  <- g * grad_scale                                   (global-norm clipping; exact when it is 1)
//   p  <- p * (1 - lr * weight_decay)                      when weight_decay > 0
//   m  <- lerp(m, g, 1 - beta1)                            as ATen's lerp: m + w (g - m) for w < 0.5, else
//                                                          g - (g - m)(1 - w), so beta1 = 0 gives m = g exactly
//   v  <- v * beta2 + ((1 - beta2) * g) * g
//   p  <- p + (-lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
// the order ATen's mul_, lerp_, mul_, addcmul_, sqrt, div_, add_ and addcdiv_ compute it in; the results agree
// with them within one rounding per operation (ATen's vector lerp fuses its multiply-add).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

#include "learner/optimizer.h"

namespace spct::learner {

// Whether adamw_cpu_update takes these tensors: all on the CPU and contiguous, param, exp_avg and exp_avg_sq
// float32 of one size, grad float32 or bfloat16 of that size, and `rounded` (when defined) bfloat16 of that size.
bool adamw_cpu_applies(const at::Tensor& param, const at::Tensor& grad, const at::Tensor& exp_avg,
                       const at::Tensor& exp_avg_sq, const at::Tensor& rounded);

// The update above of every element at optimizer step `step` (1-based), in place, split over ATen's intra-op
// threads; `rounded`, when defined, gets each updated parameter rounded to nearest even bfloat16 (the model's
// weight whose float32 master `param` is) in the same pass. REQUIRES: adamw_cpu_applies(...); step >= 1.
void adamw_cpu_update(const AdamWOptions& options, int64_t step, double grad_scale, at::Tensor& param,
                      const at::Tensor& grad, at::Tensor& exp_avg, at::Tensor& exp_avg_sq, at::Tensor& rounded);

}  // namespace spct::learner
