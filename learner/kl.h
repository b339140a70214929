// KL estimators between the policy and the reference model, per token, from per-token log-probs.
//   x = log pi - log ref;   k1 = x;   k2 = x^2 / 2;   k3 = exp(-x) + x - 1
// k1 is unbiased but can be negative per token; k3 (GRPO's) is unbiased and always >= 0; k2 is biased, >= 0.
// For k3, x is clamped to [-20, 20] before exp() so a token the policy has all but forgotten cannot overflow
// float32 (and its gradient is then 0, as for any clipped quantity).
//
// Thread safety: pure functions of their inputs.
#pragma once

#include <ATen/core/Tensor.h>

#include "learner/loss_options.h"

namespace spct::learner {

// Per-token KL estimate, same shape as the inputs, differentiable w.r.t. `logprobs` (ref is treated as data).
// REQUIRES: equal shapes.
at::Tensor token_kl(const at::Tensor& logprobs, const at::Tensor& ref_logprobs, KlEstimator estimator);

// The summed KL of each sequence over its masked tokens, [N] float64, no gradient: what "KL in the reward"
// mode subtracts (times beta) from each sequence's reward before advantages are computed. Tokens outside
// the mask are ignored whatever their values.
// REQUIRES: logprobs and ref_logprobs [N,T], mask [N,T] (bool or 0/1); throws spct::Error naming the input.
at::Tensor sequence_kl(const at::Tensor& logprobs, const at::Tensor& ref_logprobs, const at::Tensor& mask,
                       KlEstimator estimator);

}  // namespace spct::learner
