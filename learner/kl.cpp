#include "learner/kl.h"

#include <ATen/core/grad_mode.h>

#include "learner/tensor_checks.h"

namespace spct::learner {

at::Tensor token_kl(const at::Tensor& logprobs, const at::Tensor& ref_logprobs, KlEstimator estimator) {
  const at::Tensor x = logprobs.sub(ref_logprobs);
  switch (estimator) {
    case KlEstimator::kK1: return x;
    case KlEstimator::kK2: return x.square().mul(0.5);
    case KlEstimator::kK3: {
      const at::Tensor clamped = x.clamp(-20.0, 20.0);
      return clamped.neg().exp().add(clamped).sub(1.0);
    }
  }
  return x;  // unreachable: every enumerator returns above
}

at::Tensor sequence_kl(const at::Tensor& logprobs, const at::Tensor& ref_logprobs, const at::Tensor& mask,
                       KlEstimator estimator) {
  constexpr const char* kFn = "sequence_kl";
  require_floating(kFn, "logprobs", logprobs);
  require_dim(kFn, "logprobs", logprobs, 2);
  const std::vector<int64_t> shape = logprobs.sizes().vec();
  require_shape(kFn, "ref_logprobs", ref_logprobs, shape);
  require_shape(kFn, "mask", mask, shape);
  const at::NoGradGuard no_grad;
  const at::Tensor m = bool_mask(kFn, "mask", mask);
  // Masked-out positions may hold padding (even -inf): replace them before the arithmetic, not after.
  const at::Tensor lp = logprobs.detach().to(at::kDouble).masked_fill(m.logical_not(), 0.0);
  const at::Tensor ref = ref_logprobs.detach().to(at::kDouble).masked_fill(m.logical_not(), 0.0);
  return token_kl(lp, ref, estimator).masked_fill(m.logical_not(), 0.0).sum(1);
}

}  // namespace spct::learner
