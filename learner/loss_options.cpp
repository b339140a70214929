#include "learner/loss_options.h"

#include <cmath>

#include "core/config/config.h"
#include "core/error.h"

namespace spct::learner {
namespace {

std::string num(double v) {
  return std::to_string(v);
}

}  // namespace

void validate(const LossOptions& o) {
  if (!(o.clip_low >= 0 && o.clip_low < 1)) throw UsageError("grpo.clip_low: " + num(o.clip_low) + " not in [0, 1)");
  if (!(o.clip_high >= 0) || !std::isfinite(o.clip_high)) {
    throw UsageError("grpo.clip_high: " + num(o.clip_high) + " must be finite and >= 0");
  }
  if (!(o.dual_clip == 0 || o.dual_clip > 1) || !std::isfinite(o.dual_clip)) {
    throw UsageError("grpo.dual_clip: " + num(o.dual_clip) +
                     " must be 0 (off) or greater than 1 (it bounds the loss of negative advantages at c * |A|)");
  }
  if (!(o.beta >= 0) || !std::isfinite(o.beta)) throw UsageError("grpo.beta: " + num(o.beta) + " must be >= 0");
  if (!(o.entropy_coef >= 0) || !std::isfinite(o.entropy_coef)) {
    throw UsageError("grpo.entropy_coef: " + num(o.entropy_coef) + " must be >= 0");
  }
  if (!(o.importance_cap >= 0) || !std::isfinite(o.importance_cap)) {
    throw UsageError("grpo.importance_cap: " + num(o.importance_cap) + " must be finite and >= 0");
  }
  if (o.aggregation == LossAggregation::kSeqMeanTokenSumNorm && !(o.sum_norm_tokens > 0)) {
    throw UsageError(
        "grpo.loss_aggregation: seq_mean_token_sum_norm needs a positive token constant "
        "(rollout.max_new_tokens), got " +
        num(o.sum_norm_tokens));
  }
}

LossOptions from_config(const config::GrpoSection& grpo, int64_t max_new_tokens) {
  LossOptions options{.clip_low = grpo.clip_low,
                      .clip_high = grpo.clip_high,
                      .dual_clip = grpo.dual_clip,
                      .beta = grpo.beta,
                      .kl_estimator = grpo.kl_estimator,
                      .kl_placement = grpo.kl_in,
                      .aggregation = grpo.loss_aggregation,
                      .sum_norm_tokens = static_cast<double>(max_new_tokens),
                      .entropy_coef = grpo.entropy_coef,
                      .overlong_filter = grpo.overlong_filter,
                      .importance_cap = grpo.importance_cap};
  validate(options);
  return options;
}

}  // namespace spct::learner
