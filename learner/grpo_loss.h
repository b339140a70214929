// The GRPO family of policy losses (GRPO, Dr. GRPO, DAPO; options in learner/loss_options.h) on plain
// per-token tensors. The model side (models/logprobs.h) supplies log-probs; this file knows nothing of models.
//
// For completion i, token t, with effective mask m_it (the completion mask, minus truncated sequences when
// overlong filtering is on), advantage A_i, ratio rho = exp(logp - old_logp), eps_l/eps_h = clip_low/high:
//   pg_it  = max(-A rho, -A clip(rho, 1 - eps_l, 1 + eps_h))        the clipped surrogate, negated
//   pg_it  = min(pg_it, -c A)  when A < 0 and dual_clip c > 0
//   pg_it *= min(exp(old_logp - rollout_logp), importance_cap)   when importance_cap > 0 and rollout log-probs
//            are given (truncated importance sampling; the weight is data, no gradient flows through it)
//   l_it   = pg_it + beta KL_it (KL in the loss)  - entropy_coef H_it (when entropies are given)
//   loss   = aggregation of l_it over the batch (see LossAggregation)
// Every term, the entropy bonus included, is aggregated over the same effective tokens with the same
// normaliser: tokens of filtered (truncated) completions add nothing to any of them.
// log(rho) is clamped to [-20, 20] before exp(): beyond that the clip is active anyway, and the clamp keeps
// float32 finite. Values at masked-out positions are never used (padding may hold anything, even -inf).
//
// Gradient accumulation and data parallelism: the aggregation divides by batch totals (sequences, tokens).
// Pass the totals of the WHOLE batch (LossNormalizer, summed over micro-batches and ranks) and the micro-batch
// losses add up exactly to the whole batch's loss, for every aggregation.
//
// Metrics stay on the device (LossResult::stats) until asked for, so a micro-batch loop can add them up and
// read them once per step: grpo_loss itself never waits for the device.
//
// Thread safety: pure functions of their inputs; ATen's own threading applies.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <optional>

#include "learner/loss_options.h"

namespace spct::learner {

// One (micro-)batch of N completions, T token positions each (right-padded).
struct LossInputs {
  at::Tensor logprobs = {};          // [N,T] floating, log pi_theta of the sampled tokens; gradients flow through this
  at::Tensor old_logprobs = {};      // [N,T] log pi_old (behaviour policy), treated as data
  at::Tensor ref_logprobs = {};      // [N,T] log pi_ref, treated as data; may be undefined when beta == 0 or KL is
                                     // in the reward (then the KL metric and sequence_kl are absent)
  at::Tensor advantages = {};        // [N] one advantage per completion (learner/advantages.h)
  at::Tensor mask = {};              // [N,T] bool or 0/1: 1 on completion tokens
  at::Tensor truncated = {};         // [N] bool or 0/1, optional: completions cut at max_new_tokens (overlong filter)
  at::Tensor rollout_logprobs = {};  // [N,T] optional: log-probs of the engine that sampled the tokens, for
                                     // truncated importance sampling (LossOptions::importance_cap)
  at::Tensor entropy = {};           // [N,T] floating, optional: per-token entropy H of the policy's distribution
                                     // (models/logprobs.h, or token_entropy() of full logits), for the entropy
                                     // bonus and metric; gradients flow through it
};

// The denominators of the aggregation: how many sequences and tokens contribute to the whole batch.
// A sequence contributes when it has at least one token left after masking and overlong filtering.
struct LossNormalizer {
  double sequences = 0;
  double tokens = 0;
};

// The normalizer of one (micro-)batch; sum them field by field over micro-batches (and ranks).
// REQUIRES: mask [N,T], truncated [N] or undefined.
LossNormalizer loss_normalizer(const at::Tensor& mask, const at::Tensor& truncated, const LossOptions& options);

// Figures of one (micro-)batch, over its effective (unmasked) tokens. Clip fractions count tokens where the
// clip is binding: low = rho < 1 - clip_low with A < 0, high = rho > 1 + clip_high with A > 0; dual = the
// dual clip is binding (A < 0 and -A rho > -c A). With no effective token every fraction and the ratio
// figures are 0.
struct LossMetrics {
  double policy_loss = 0;  // the aggregated pg part alone
  double clip_fraction_low = 0;
  double clip_fraction_high = 0;
  double dual_clip_fraction = 0;
  double ratio_mean = 0;
  double ratio_min = 0;
  double ratio_max = 0;
  std::optional<double> kl_mean;                 // token mean of the chosen estimator; absent without ref_logprobs
  std::optional<double> entropy_mean;            // token mean of H; absent without entropies
  int64_t tokens = 0;                            // effective tokens
  int64_t sequences = 0;                         // contributing sequences
  int64_t filtered_sequences = 0;                // sequences removed by the overlong filter
  std::optional<double> importance_weight_mean;  // mean truncated IS weight; absent when IS is off
  double importance_capped_fraction = 0;         // tokens whose raw IS weight exceeded importance_cap
};

// The raw figures behind LossMetrics, as one float64 vector on the inputs' device (LossResult::stats): sums
// over effective tokens, which add up over micro-batches, except the ratio extremes (min/max; +inf/-inf with no
// token). Absent terms (no KL, entropy or importance weights) are 0 there.
enum LossStat : int64_t {
  kStatPolicyLoss,        // aggregated pg part (already normalised)
  kStatTokens,            // effective tokens
  kStatSequences,         // contributing sequences
  kStatFiltered,          // sequences removed by the overlong filter
  kStatClipLow,           // tokens where the low clip binds
  kStatClipHigh,          // tokens where the high clip binds
  kStatDualClip,          // tokens where the dual clip binds
  kStatRatioSum,          // sum of rho
  kStatRatioMin,          // min of rho
  kStatRatioMax,          // max of rho
  kStatKlSum,             // sum of the KL estimator
  kStatEntropySum,        // sum of H
  kStatImportanceWeight,  // sum of the capped IS weights
  kStatImportanceCapped,  // tokens whose raw IS weight exceeded the cap
  kLossStatCount
};

// Which optional terms a stats vector has (for LossMetrics' optional fields).
struct LossTerms {
  bool kl = false;
  bool entropy = false;
  bool importance = false;
};

// LossMetrics of a stats vector (summed over any number of micro-batches). Reads it: one device sync.
LossMetrics loss_metrics(const at::Tensor& stats, const LossTerms& terms);

struct LossResult {
  at::Tensor loss;         // scalar to minimise, differentiable w.r.t. logprobs (and entropy)
  at::Tensor sequence_kl;  // [N] float64 summed KL per sequence (no gradient); undefined without ref_logprobs
  at::Tensor stats;        // [kLossStatCount] float64, no gradient, on the inputs' device
  LossTerms terms;

  // loss_metrics(stats, terms): waits for the device.
  LossMetrics metrics() const { return loss_metrics(stats, terms); }
};

// The loss of one (micro-)batch. `normalizer` defaults to this batch's own loss_normalizer(); pass the
// whole batch's when accumulating. A batch with no effective token has loss 0 (with a zero gradient).
// REQUIRES: options valid (validate()); shapes as in LossInputs; ref_logprobs defined when beta > 0 and
// kl_placement is kLoss. Throws spct::Error naming the input and the shapes otherwise.
LossResult grpo_loss(const LossInputs& inputs, const LossOptions& options,
                     std::optional<LossNormalizer> normalizer = std::nullopt);

// Per-token entropy H = -sum_v p log p of softmax(logits) over the last dimension: [N,T,V] -> [N,T], for
// LossInputs::entropy when the full logits are at hand. Differentiable. Logits of -inf (masked vocabulary
// entries) are allowed; a row of only -inf (padding) has entropy 0 and gets no gradient.
at::Tensor token_entropy(const at::Tensor& logits);

}  // namespace spct::learner
