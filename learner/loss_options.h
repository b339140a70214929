// What the GRPO-family loss computes: one Options struct covering GRPO, Dr. GRPO and DAPO, with a comment and
// a default on every field, and the mapping from the experiment config's `grpo` section.
//
//   GRPO      seq_mean_token_mean, clip_low = clip_high = 0.2, KL k3 in the loss (beta 0.04)
//   Dr. GRPO  seq_mean_token_sum_norm with sum_norm_tokens = max_new_tokens (and advantages without std)
//   DAPO      token_mean, clip_low 0.2, clip_high 0.28, beta 0, overlong_filter (and dynamic sampling)
//
// Tensor-free, so that configuration code can build and check options without LibTorch.
#pragma once

#include <cstdint>

#include "core/config/choices.h"

namespace spct::config {
struct GrpoSection;
}

namespace spct::learner {

// KL(pi || ref) per token, from x = log pi - log ref:
//   k1 = x,  k2 = x^2 / 2,  k3 = exp(-x) + x - 1 (= ref/pi - log(ref/pi) - 1, GRPO's, always >= 0).
using config::KlEstimator;

// kLoss: beta * KL_t is added to every token's loss (GRPO). kReward: the loss has no KL term; the caller
// subtracts beta * sequence_kl() from each reward before computing advantages (PPO style).
using config::KlPlacement;

// How per-token losses l_it (mask m_it, S = sequences with at least one unmasked token) become one number:
//   kSeqMeanTokenMean     (1/S) sum_i [ sum_t m_it l_it / sum_t m_it ]                  GRPO
//   kTokenMean            sum_it m_it l_it / sum_it m_it                                 DAPO
//   kSeqMeanTokenSumNorm  (1/S) sum_i [ sum_t m_it l_it / sum_norm_tokens ]              Dr. GRPO
using config::LossAggregation;

struct LossOptions {
  // Ratio clip range [1 - clip_low, 1 + clip_high]. REQUIRES: 0 <= clip_low < 1, clip_high >= 0.
  double clip_low = 0.2;
  double clip_high = 0.2;
  // Dual clip (Ye et al. 2020): for A < 0 the token objective is max(min(rho A, clip(rho) A), c A), which
  // bounds how hard one very unlikely-now token can push. 0 = off. REQUIRES: 0 or > 1.
  double dual_clip = 0.0;
  // KL coefficient (the current one: an AdaptiveKlController updates it between steps). REQUIRES: >= 0.
  double beta = 0.04;
  KlEstimator kl_estimator = KlEstimator::kK3;
  KlPlacement kl_placement = KlPlacement::kLoss;
  LossAggregation aggregation = LossAggregation::kSeqMeanTokenMean;
  // The constant of kSeqMeanTokenSumNorm (Dr. GRPO: max_new_tokens). REQUIRES: > 0 for that aggregation.
  double sum_norm_tokens = 0.0;
  // Entropy bonus: l_it gets -entropy_coef * H_it, so the bonus is aggregated exactly like the policy loss (same
  // effective tokens, overlong-filtered ones excluded; same denominators). Needs LossInputs::entropy; without it
  // the bonus is skipped. REQUIRES: >= 0.
  double entropy_coef = 0.0;
  // DAPO overlong filtering: sequences flagged truncated contribute nothing (their tokens are masked out).
  bool overlong_filter = false;
  // Truncated importance sampling for off-policy rollouts: when the rollout engine's log-probs are given
  // (LossInputs::rollout_logprobs), each token's policy term is weighted by
  // w = min(exp(old_logp - rollout_logp), importance_cap), correcting for tokens sampled by a stale or
  // numerically different generator. 0 = off. REQUIRES: >= 0.
  double importance_cap = 0.0;
};

// Throws spct::UsageError naming the offending option when a REQUIRES above does not hold.
void validate(const LossOptions& options);

// The options of config section `grpo`; max_new_tokens (rollout.max_new_tokens) is Dr. GRPO's constant.
// beta starts at grpo.beta (or 0 when grpo.beta is 0). Validated; throws spct::UsageError naming the key
// (e.g. grpo.dual_clip between 0 and 1).
LossOptions from_config(const config::GrpoSection& grpo, int64_t max_new_tokens);

}  // namespace spct::learner
