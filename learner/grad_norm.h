// Global gradient-norm clipping over a list of parameters, as one vector: the L2 norm of all gradients
// together, and when it exceeds max_norm every gradient is scaled by max_norm / (norm + 1e-6)
// (torch.nn.utils.clip_grad_norm_'s rule). The scaling is the optimizer's: AdamW::step takes the factor and
// applies it as it reads each gradient, so clipping costs no pass of its own. In data-parallel training take the
// norm after the gradient all-reduce: every rank then sees the same norm.
#pragma once

#include <ATen/core/Tensor.h>

#include <vector>

namespace spct::learner {

// The global L2 norm of the defined gradients of `params` (parameters without a gradient are skipped),
// per tensor in float32 (bf16 gradients too), combined in float64 with a single device read. No modification.
double grad_norm(const std::vector<at::Tensor>& params);

// The factor clipping multiplies every gradient by: max_norm / (norm + 1e-6) when max_norm > 0 and the finite
// norm exceeds it, else 1 (max_norm <= 0 disables clipping; a non-finite norm leaves the gradients as they are,
// and the caller should skip that optimizer step and count it).
double clip_coefficient(double norm, double max_norm);

}  // namespace spct::learner
