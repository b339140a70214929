// Global gradient-norm clipping over a list of parameters, as one vector: the L2 norm of all gradients
// together, and when it exceeds max_norm every gradient is scaled by max_norm / (norm + 1e-6).
// In data-parallel training call it after the gradient all-reduce: every rank then sees the same norm.
//
// Thread safety: modifies the gradients in place; no other thread may use them meanwhile.
#pragma once

#include <ATen/core/Tensor.h>

#include <vector>

namespace spct::learner {

// The global L2 norm of the defined gradients of `params` (parameters without a gradient are skipped),
// per tensor in float32 (bf16 gradients too), combined in float64 with a single device read. No modification.
double grad_norm(const std::vector<at::Tensor>& params);

// The factor clipping multiplies every gradient by: max_norm / (norm + 1e-6) when max_norm > 0 and the finite
// norm exceeds it, else 1. An optimizer that scales gradients as it reads them (AdamW::step) takes it instead of
// a separate pass over them.
double clip_coefficient(double norm, double max_norm);

// Scales the gradients in place so that their global norm is at most max_norm, and returns the norm BEFORE
// clipping (the metric to log). max_norm <= 0 disables clipping (the norm is still returned). A non-finite
// norm leaves the gradients untouched: the caller should skip this optimizer step and count it.
double clip_grad_norm(const std::vector<at::Tensor>& params, double max_norm);

}  // namespace spct::learner
