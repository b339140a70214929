#include "learner/grpo_loss.h"

#include <ATen/core/grad_mode.h>
#include <ATen/ops/maximum.h>
#include <ATen/ops/minimum.h>
#include <ATen/ops/where.h>

#include "core/error.h"
#include "learner/kl.h"
#include "learner/tensor_checks.h"

namespace spct::learner {
namespace {

constexpr const char* kFn = "grpo_loss";

// Below this log-probability a probability is exactly 0 in float64, so clamping there changes no value; it
// only keeps 0 * log(0) from turning into NaN in the entropy (and in its gradient).
constexpr double kLogProbFloor = -1e4;

// The completion mask minus the truncated sequences when overlong filtering is on; [N,T] bool.
at::Tensor effective_mask(const at::Tensor& mask, const at::Tensor& truncated, const LossOptions& options) {
  require_dim(kFn, "mask", mask, 2);
  const at::Tensor m = bool_mask(kFn, "mask", mask);
  if (!truncated.defined() || !options.overlong_filter) return m;
  require_shape(kFn, "truncated", truncated, {mask.size(0)});
  return m.logical_and(bool_mask(kFn, "truncated", truncated).logical_not().unsqueeze(1));
}

// Sum of the masked per-token values divided as `options.aggregation` says, by the normalizer's totals.
at::Tensor aggregate(const at::Tensor& per_token, const at::Tensor& mask, const LossNormalizer& norm,
                     const LossOptions& options) {
  const at::Tensor masked = per_token.masked_fill(mask.logical_not(), 0.0);
  // Nothing contributes: a zero that keeps the graph, so backward() still works and gives zero gradients.
  if (norm.tokens <= 0 || norm.sequences <= 0) return masked.sum().mul(0.0);
  switch (options.aggregation) {
    case LossAggregation::kTokenMean: return masked.sum().div(norm.tokens);
    case LossAggregation::kSeqMeanTokenMean: {
      const at::Tensor lengths = mask.sum(1).clamp_min(1).to(per_token.scalar_type());
      return masked.sum(1).div(lengths).sum().div(norm.sequences);
    }
    case LossAggregation::kSeqMeanTokenSumNorm: return masked.sum().div(options.sum_norm_tokens * norm.sequences);
  }
  throw Error(ExitCode::kFailure, "grpo_loss: unknown loss aggregation");
}

void check_inputs(const LossInputs& in, const LossOptions& options) {
  require_floating(kFn, "logprobs", in.logprobs);
  require_dim(kFn, "logprobs", in.logprobs, 2);
  const std::vector<int64_t> shape = in.logprobs.sizes().vec();
  require_shape(kFn, "old_logprobs", in.old_logprobs, shape);
  require_floating(kFn, "old_logprobs", in.old_logprobs);
  require_shape(kFn, "mask", in.mask, shape);
  require_shape(kFn, "advantages", in.advantages, {shape[0]});
  require_floating(kFn, "advantages", in.advantages);
  if (in.ref_logprobs.defined()) {
    require_shape(kFn, "ref_logprobs", in.ref_logprobs, shape);
    require_floating(kFn, "ref_logprobs", in.ref_logprobs);
  } else if (options.beta > 0 && options.kl_placement == KlPlacement::kLoss) {
    throw Error(ExitCode::kFailure, "grpo_loss: beta is " + std::to_string(options.beta) +
                                        " with the KL in the loss, but no ref_logprobs were given");
  }
  if (in.truncated.defined()) require_shape(kFn, "truncated", in.truncated, {shape[0]});
  if (in.rollout_logprobs.defined()) {
    require_shape(kFn, "rollout_logprobs", in.rollout_logprobs, shape);
    require_floating(kFn, "rollout_logprobs", in.rollout_logprobs);
  }
  if (in.logits.defined()) {
    require_floating(kFn, "logits", in.logits);
    require_dim(kFn, "logits", in.logits, 3);
    require_shape(kFn, "logits", in.logits, {shape[0], shape[1], in.logits.size(2)});
  }
}

double fraction(const at::Tensor& hits, double tokens) {
  return hits.sum().item<double>() / tokens;
}

}  // namespace

LossNormalizer loss_normalizer(const at::Tensor& mask, const at::Tensor& truncated, const LossOptions& options) {
  const at::NoGradGuard no_grad;
  const at::Tensor m = effective_mask(mask, truncated, options);
  return LossNormalizer{.sequences = m.any(1).sum().item<double>(), .tokens = m.sum().item<double>()};
}

at::Tensor token_entropy(const at::Tensor& logits) {
  const at::Tensor logp = logits.log_softmax(-1);
  return logp.exp().mul(logp.clamp_min(kLogProbFloor)).sum(-1).neg();
}

LossResult grpo_loss(const LossInputs& in, const LossOptions& options, std::optional<LossNormalizer> normalizer) {
  validate(options);
  check_inputs(in, options);
  const at::Tensor m = effective_mask(in.mask, in.truncated, options);
  const at::Tensor padding = m.logical_not();
  const LossNormalizer norm = normalizer.value_or(loss_normalizer(in.mask, in.truncated, options));
  const c10::ScalarType dtype = in.logprobs.scalar_type();

  // Padding may hold anything (even -inf): replace it before any arithmetic so that neither values nor
  // gradients can become NaN; the gradient at padded positions is then exactly 0.
  const at::Tensor logp = in.logprobs.masked_fill(padding, 0.0);
  const at::Tensor old_logp = in.old_logprobs.detach().to(dtype).masked_fill(padding, 0.0);
  const at::Tensor adv = in.advantages.detach().to(dtype).unsqueeze(1);  // [N,1], broadcast over tokens

  const at::Tensor ratio = logp.sub(old_logp).clamp(-20.0, 20.0).exp();
  const at::Tensor unclipped = adv.neg().mul(ratio);
  const at::Tensor clipped = adv.neg().mul(ratio.clamp(1.0 - options.clip_low, 1.0 + options.clip_high));
  at::Tensor pg = at::maximum(unclipped, clipped);
  if (options.dual_clip > 0) {
    const at::Tensor bound = adv.mul(-options.dual_clip);
    pg = at::where(adv.lt(0), at::minimum(pg, bound), pg);
  }

  // Truncated importance sampling: the weight corrects the sampling distribution, it is not optimised.
  at::Tensor raw_weight;
  const bool importance = options.importance_cap > 0 && in.rollout_logprobs.defined();
  if (importance) {
    const at::Tensor rollout_logp = in.rollout_logprobs.detach().to(dtype).masked_fill(padding, 0.0);
    raw_weight = old_logp.sub(rollout_logp).clamp(-20.0, 20.0).exp();
    pg = pg.mul(raw_weight.clamp_max(options.importance_cap));
  }

  at::Tensor per_token = pg;
  at::Tensor kl;
  if (in.ref_logprobs.defined()) {
    kl = token_kl(logp, in.ref_logprobs.detach().to(dtype).masked_fill(padding, 0.0), options.kl_estimator);
    if (options.beta > 0 && options.kl_placement == KlPlacement::kLoss) per_token = per_token.add(kl, options.beta);
  }
  at::Tensor entropy;
  if (in.logits.defined()) {
    entropy = token_entropy(in.logits.masked_fill(padding.unsqueeze(2), 0.0));
    if (options.entropy_coef > 0) per_token = per_token.sub(entropy.to(dtype), options.entropy_coef);
  }

  LossResult result;
  result.loss = aggregate(per_token, m, norm, options);
  if (kl.defined()) {
    // Over the completion mask, not the filtered one: the reward of a truncated completion still pays its KL.
    result.sequence_kl = kl.detach().masked_fill(in.mask.eq(0), 0.0).to(at::kDouble).sum(1);
  }

  const at::NoGradGuard no_grad;
  LossMetrics& metrics = result.metrics;
  metrics.policy_loss = aggregate(pg.detach(), m, norm, options).item<double>();
  metrics.tokens = m.sum().item<int64_t>();
  metrics.sequences = m.any(1).sum().item<int64_t>();
  if (in.truncated.defined() && options.overlong_filter) {
    metrics.filtered_sequences =
        bool_mask(kFn, "truncated", in.truncated).logical_and(in.mask.ne(0).any(1)).sum().item<int64_t>();
  }
  if (metrics.tokens == 0) return result;
  const double tokens = static_cast<double>(metrics.tokens);
  const at::Tensor r = ratio.detach();
  const at::Tensor selected = r.masked_select(m);
  metrics.ratio_mean = selected.mean().item<double>();
  metrics.ratio_min = selected.min().item<double>();
  metrics.ratio_max = selected.max().item<double>();
  const at::Tensor negative = adv.lt(0).logical_and(m);
  const at::Tensor positive = adv.gt(0).logical_and(m);
  metrics.clip_fraction_low = fraction(r.lt(1.0 - options.clip_low).logical_and(negative), tokens);
  metrics.clip_fraction_high = fraction(r.gt(1.0 + options.clip_high).logical_and(positive), tokens);
  // For A < 0, max(-A rho, -A clip(rho)) > -c A exactly when rho > c (c > 1 > 1 - clip_low).
  if (options.dual_clip > 0)
    metrics.dual_clip_fraction = fraction(r.gt(options.dual_clip).logical_and(negative), tokens);
  if (importance) {
    metrics.importance_weight_mean =
        raw_weight.clamp_max(options.importance_cap).masked_select(m).to(at::kDouble).mean().item<double>();
    metrics.importance_capped_fraction = fraction(raw_weight.gt(options.importance_cap).logical_and(m), tokens);
  }
  if (kl.defined()) metrics.kl_mean = kl.detach().masked_select(m).to(at::kDouble).mean().item<double>();
  if (entropy.defined()) metrics.entropy_mean = entropy.detach().masked_select(m).to(at::kDouble).mean().item<double>();
  return result;
}

}  // namespace spct::learner
