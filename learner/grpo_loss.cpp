#include "learner/grpo_loss.h"

#include <ATen/core/grad_mode.h>
#include <ATen/ops/maximum.h>
#include <ATen/ops/minimum.h>
#include <ATen/ops/stack.h>
#include <ATen/ops/where.h>
#include <ATen/ops/zeros.h>

#include <cmath>
#include <vector>

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
  if (in.entropy.defined()) {
    require_shape(kFn, "entropy", in.entropy, shape);
    require_floating(kFn, "entropy", in.entropy);
  }
}

// Number of true cells of a bool tensor, as a float64 scalar tensor (no device sync).
at::Tensor count(const at::Tensor& hits) {
  return hits.sum().to(at::kDouble);
}

// Sum of `values` over the true cells of `mask`, as a float64 scalar tensor.
at::Tensor masked_sum(const at::Tensor& values, const at::Tensor& mask) {
  return values.detach().to(at::kDouble).masked_fill(mask.logical_not(), 0.0).sum();
}

}  // namespace

LossNormalizer loss_normalizer(const at::Tensor& mask, const at::Tensor& truncated, const LossOptions& options) {
  const at::NoGradGuard no_grad;
  const at::Tensor m = effective_mask(mask, truncated, options);
  return LossNormalizer{.sequences = m.any(1).sum().item<double>(), .tokens = m.sum().item<double>()};
}

at::Tensor token_entropy(const at::Tensor& logits) {
  // A row of only -inf (padding, nothing possible) would be NaN in value and gradient: it gets entropy 0.
  const at::Tensor empty = logits.amax(-1, /*keepdim=*/true).isneginf();
  const at::Tensor logp = logits.masked_fill(empty, 0.0).log_softmax(-1);
  return logp.exp().mul(logp.clamp_min(kLogProbFloor)).sum(-1).neg().masked_fill(empty.squeeze(-1), 0.0);
}

LossResult grpo_loss(const LossInputs& in, const LossOptions& options, std::optional<LossNormalizer> normalizer) {
  validate(options);
  check_inputs(in, options);
  const at::Tensor m = effective_mask(in.mask, in.truncated, options);
  const at::Tensor padding = m.logical_not();
  const LossNormalizer norm = normalizer ? *normalizer : loss_normalizer(in.mask, in.truncated, options);
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
  if (in.entropy.defined()) {
    entropy = in.entropy.to(dtype).masked_fill(padding, 0.0);
    if (options.entropy_coef > 0) per_token = per_token.sub(entropy, options.entropy_coef);
  }

  LossResult result;
  result.loss = aggregate(per_token, m, norm, options);
  if (kl.defined()) {
    // Over the completion mask, not the filtered one: the reward of a truncated completion still pays its KL.
    result.sequence_kl = kl.detach().masked_fill(in.mask.eq(0), 0.0).to(at::kDouble).sum(1);
  }

  // Figures as device tensors; nothing below reads a value back.
  const at::NoGradGuard no_grad;
  const auto f64 = at::TensorOptions().dtype(at::kDouble).device(logp.device());
  std::vector<at::Tensor> stats(kLossStatCount);
  const at::Tensor zero = at::zeros({}, f64);
  stats[kStatPolicyLoss] = aggregate(pg.detach(), m, norm, options).to(at::kDouble);
  stats[kStatTokens] = count(m);
  stats[kStatSequences] = count(m.any(1));
  stats[kStatFiltered] = in.truncated.defined() && options.overlong_filter
                             ? count(bool_mask(kFn, "truncated", in.truncated).logical_and(in.mask.ne(0).any(1)))
                             : zero;
  const at::Tensor r = ratio.detach().to(at::kDouble);
  const at::Tensor negative = adv.lt(0).logical_and(m);
  const at::Tensor positive = adv.gt(0).logical_and(m);
  stats[kStatClipLow] = count(r.lt(1.0 - options.clip_low).logical_and(negative));
  stats[kStatClipHigh] = count(r.gt(1.0 + options.clip_high).logical_and(positive));
  // For A < 0, max(-A rho, -A clip(rho)) > -c A exactly when rho > c (c > 1 > 1 - clip_low).
  stats[kStatDualClip] = options.dual_clip > 0 ? count(r.gt(options.dual_clip).logical_and(negative)) : zero;
  stats[kStatRatioSum] = masked_sum(r, m);
  stats[kStatRatioMin] = r.masked_fill(padding, INFINITY).min();
  stats[kStatRatioMax] = r.masked_fill(padding, -INFINITY).max();
  stats[kStatKlSum] = kl.defined() ? masked_sum(kl, m) : zero;
  stats[kStatEntropySum] = entropy.defined() ? masked_sum(entropy, m) : zero;
  stats[kStatImportanceWeight] = importance ? masked_sum(raw_weight.clamp_max(options.importance_cap), m) : zero;
  stats[kStatImportanceCapped] = importance ? count(raw_weight.gt(options.importance_cap).logical_and(m)) : zero;
  result.stats = at::stack(stats);
  result.terms = {kl.defined(), entropy.defined(), importance};
  return result;
}

LossMetrics loss_metrics(const at::Tensor& stats, const LossTerms& terms) {
  const at::Tensor host = stats.detach().to(at::kCPU, at::kDouble).contiguous();
  const double* v = host.data_ptr<double>();
  LossMetrics metrics;
  metrics.policy_loss = v[kStatPolicyLoss];
  metrics.tokens = static_cast<int64_t>(v[kStatTokens]);
  metrics.sequences = static_cast<int64_t>(v[kStatSequences]);
  metrics.filtered_sequences = static_cast<int64_t>(v[kStatFiltered]);
  if (metrics.tokens == 0) return metrics;
  const double tokens = v[kStatTokens];
  metrics.clip_fraction_low = v[kStatClipLow] / tokens;
  metrics.clip_fraction_high = v[kStatClipHigh] / tokens;
  metrics.dual_clip_fraction = v[kStatDualClip] / tokens;
  metrics.ratio_mean = v[kStatRatioSum] / tokens;
  metrics.ratio_min = v[kStatRatioMin];
  metrics.ratio_max = v[kStatRatioMax];
  if (terms.kl) metrics.kl_mean = v[kStatKlSum] / tokens;
  if (terms.entropy) metrics.entropy_mean = v[kStatEntropySum] / tokens;
  if (terms.importance) {
    metrics.importance_weight_mean = v[kStatImportanceWeight] / tokens;
    metrics.importance_capped_fraction = v[kStatImportanceCapped] / tokens;
  }
  return metrics;
}

}  // namespace spct::learner
