#include "learner/grad_norm.h"

#include <ATen/core/grad_mode.h>

#include <cmath>

namespace spct::learner {

double grad_norm(const std::vector<at::Tensor>& params) {
  const at::NoGradGuard no_grad;
  double squares = 0;
  for (const at::Tensor& p : params) {
    const at::Tensor& g = p.grad();
    if (!g.defined()) continue;
    const double norm = g.norm().item<double>();
    squares += norm * norm;
  }
  return std::sqrt(squares);
}

double clip_grad_norm(const std::vector<at::Tensor>& params, double max_norm) {
  const double norm = grad_norm(params);
  if (max_norm <= 0 || !std::isfinite(norm) || norm <= max_norm) return norm;
  const at::NoGradGuard no_grad;
  // The 1e-6 keeps the scale finite for tiny norms and matches torch.nn.utils.clip_grad_norm_.
  const double scale = max_norm / (norm + 1e-6);
  for (const at::Tensor& p : params) {
    at::Tensor g = p.grad();
    if (g.defined()) g.mul_(scale);
  }
  return norm;
}

}  // namespace spct::learner
