#include "learner/grad_norm.h"

#include <ATen/core/grad_mode.h>
#include <ATen/ops/linalg_vector_norm.h>
#include <ATen/ops/stack.h>

#include <cmath>
#include <optional>

namespace spct::learner {

double grad_norm(const std::vector<at::Tensor>& params) {
  const at::NoGradGuard no_grad;
  // Per-tensor norms in float32 at least (bf16 gradients included), combined on the device: one read for the total.
  std::vector<at::Tensor> norms;
  for (const at::Tensor& p : params) {
    const at::Tensor& g = p.grad();
    if (!g.defined()) continue;
    const at::ScalarType accumulate = g.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
    norms.push_back(at::linalg_vector_norm(g, 2, std::nullopt, false, accumulate).to(at::kDouble));
  }
  if (norms.empty()) return 0;
  return at::linalg_vector_norm(at::stack(norms), 2).item<double>();
}

double clip_coefficient(double norm, double max_norm) {
  if (max_norm <= 0 || !std::isfinite(norm) || norm <= max_norm) return 1.0;
  // The 1e-6 keeps the scale finite for tiny norms and matches torch.nn.utils.clip_grad_norm_.
  return max_norm / (norm + 1e-6);
}

}  // namespace spct::learner
