// The GRPO-family loss against hand computations on tiny batches. Every case writes its arithmetic out so a
// reviewer can redo it; gradients are d loss / d logprobs (and d loss / d logits for the entropy bonus).
#include "learner/grpo_loss.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <utility>

#include "core/error.h"
#include "tensor_helpers.h"

using namespace spct::learner;
using namespace spct::learner::testing;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Batch A: two completions, three positions, ratios rho = exp(logp - old) chosen by hand.
//   seq 0: A = +1, rho = [1.0, 1.5, 0.5], mask [1, 1, 1]
//   seq 1: A = -2, rho = [1.1, 0.7, pad], mask [1, 1, 0]   (the padded logp is -inf: it must not matter)
// With clip 0.2/0.2, pg = max(-A rho, -A clip(rho, 0.8, 1.2)) per token, and d pg / d logp = -A rho on the
// unclipped branch (d rho / d logp = rho), 0 where the clip binds:
//   seq 0: -rho = [-1, -1.5, -0.5], -clip = [-1, -1.2, -0.8]  -> pg [-1, -1.2, -0.5], g [-1, 0, -0.5]
//   seq 1: 2 rho = [2.2, 1.4],      2 clip = [2.2, 1.6]       -> pg [2.2, 1.6],       g [2.2, 0]
// Token sums: seq 0 = -2.7 over 3 tokens, seq 1 = 3.8 over 2 tokens.
struct BatchA {
  at::Tensor old_logp = doubles({-1, -1, -1, -2, -2, -2}, {2, 3});
  at::Tensor logp;
  LossInputs inputs;

  explicit BatchA(at::Tensor truncated = {}) {
    use_one_thread();
    logp = doubles({-1 + std::log(1.0), -1 + std::log(1.5), -1 + std::log(0.5), -2 + std::log(1.1), -2 + std::log(0.7),
                    -kInf},
                   {2, 3})
               .requires_grad_(true);
    inputs = LossInputs{.logprobs = logp,
                        .old_logprobs = old_logp,
                        .advantages = doubles({1, -2}, {2}),
                        .mask = bools({1, 1, 1, 1, 1, 0}, {2, 3}),
                        .truncated = std::move(truncated)};
  }
};

LossOptions no_kl(LossAggregation aggregation) {
  return LossOptions{.beta = 0.0, .aggregation = aggregation, .sum_norm_tokens = 4};
}

}  // namespace

TEST_CASE("seq_mean_token_mean (GRPO): loss and gradient by hand", "[grpo_loss]") {
  BatchA a;
  // loss = (1/2) [ -2.7 / 3 + 3.8 / 2 ] = (1/2) (-0.9 + 1.9) = 0.5;  d/dlogp = g / (2 |o_i|):
  // seq 0: g / 6 = [-1/6, 0, -1/12];  seq 1: g / 4 = [0.55, 0, 0 (padding)].
  const LossResult r = grpo_loss(a.inputs, no_kl(LossAggregation::kSeqMeanTokenMean));
  check_values(r.loss, {0.5});
  r.loss.backward();
  check_values(a.logp.grad(), {-1.0 / 6, 0, -1.0 / 12, 0.55, 0, 0});
  CHECK(r.metrics().policy_loss == Approx(0.5));
  // Metrics over the 5 tokens: low clip binds at seq 1 token 1 (rho 0.7 < 0.8, A < 0), high clip at seq 0
  // token 1 (rho 1.5 > 1.2, A > 0); ratio mean (1 + 1.5 + 0.5 + 1.1 + 0.7) / 5 = 0.96.
  CHECK(r.metrics().tokens == 5);
  CHECK(r.metrics().sequences == 2);
  CHECK(r.metrics().clip_fraction_low == Approx(0.2));
  CHECK(r.metrics().clip_fraction_high == Approx(0.2));
  CHECK(r.metrics().dual_clip_fraction == 0);
  CHECK(r.metrics().ratio_mean == Approx(0.96));
  CHECK(r.metrics().ratio_min == Approx(0.5));
  CHECK(r.metrics().ratio_max == Approx(1.5));
  CHECK_FALSE(r.metrics().kl_mean.has_value());
  CHECK_FALSE(r.metrics().entropy_mean.has_value());
  CHECK_FALSE(r.sequence_kl.defined());
}

TEST_CASE("token_mean (DAPO): loss and gradient by hand", "[grpo_loss]") {
  BatchA a;
  // One mean over the 5 tokens: (-2.7 + 3.8) / 5 = 0.22;  gradient g / 5.
  const LossResult r = grpo_loss(a.inputs, no_kl(LossAggregation::kTokenMean));
  check_values(r.loss, {0.22});
  r.loss.backward();
  check_values(a.logp.grad(), {-0.2, 0, -0.1, 0.44, 0, 0});
}

TEST_CASE("seq_mean_token_sum_norm (Dr. GRPO): loss and gradient by hand", "[grpo_loss]") {
  BatchA a;
  // Token sums over the constant 4, averaged over 2 sequences: (-2.7 + 3.8) / (4 * 2) = 0.1375; gradient g / 8.
  const LossResult r = grpo_loss(a.inputs, no_kl(LossAggregation::kSeqMeanTokenSumNorm));
  check_values(r.loss, {0.1375});
  r.loss.backward();
  check_values(a.logp.grad(), {-0.125, 0, -0.0625, 0.275, 0, 0});
}

TEST_CASE("clip-higher widens only the upper bound", "[grpo_loss]") {
  BatchA a;
  // clip_high 0.6: seq 0 token 1 (rho 1.5 < 1.6) is no longer clipped: pg -1.5 with gradient -1.5.
  // token_mean: (-1 - 1.5 - 0.5 + 2.2 + 1.6) / 5 = 0.16; gradient [-1, -1.5, -0.5, 2.2, 0, 0] / 5. The low
  // clip still binds at rho 0.7.
  LossOptions options = no_kl(LossAggregation::kTokenMean);
  options.clip_high = 0.6;
  const LossResult r = grpo_loss(a.inputs, options);
  check_values(r.loss, {0.16});
  r.loss.backward();
  check_values(a.logp.grad(), {-0.2, -0.3, -0.1, 0.44, 0, 0});
  CHECK(r.metrics().clip_fraction_high == 0);
  CHECK(r.metrics().clip_fraction_low == Approx(0.2));
}

TEST_CASE("dual clip bounds the loss of negative advantages only", "[grpo_loss]") {
  use_one_thread();
  // seq 0: A = -1, rho = [4, 2];  seq 1: A = +1, rho = [4, 1];  clip 0.2/0.28, c = 3, token_mean.
  //   seq 0: max(rho, clip(rho)) = [4, 2]; dual: min(., -A c = 3) = [3, 2]; gradient [0 (bound), rho = 2]
  //   seq 1: max(-rho, -clip(rho)) = max([-4, -1], [-1.28, -1]) = [-1.28, -1]; gradient [0, -1]
  // loss = (3 + 2 - 1.28 - 1) / 4 = 0.68; gradient / 4 = [0, 0.5, 0, -0.25].
  // Without the dual clip seq 0 token 0 would give 4 with gradient 4: loss 0.93.
  const at::Tensor old_logp = doubles({-3, -3, -3, -3}, {2, 2});
  const at::Tensor logp =
      doubles({-3 + std::log(4.0), -3 + std::log(2.0), -3 + std::log(4.0), -3.0}, {2, 2}).requires_grad_(true);
  const LossInputs inputs{.logprobs = logp,
                          .old_logprobs = old_logp,
                          .advantages = doubles({-1, 1}, {2}),
                          .mask = bools({1, 1, 1, 1}, {2, 2})};
  LossOptions options{
      .clip_low = 0.2, .clip_high = 0.28, .dual_clip = 3, .beta = 0, .aggregation = LossAggregation::kTokenMean};
  const LossResult r = grpo_loss(inputs, options);
  check_values(r.loss, {0.68});
  r.loss.backward();
  check_values(logp.grad(), {0, 0.5, 0, -0.25});
  CHECK(r.metrics().dual_clip_fraction == Approx(0.25));
  CHECK(r.metrics().clip_fraction_high == Approx(0.25));

  options.dual_clip = 0;
  check_values(grpo_loss(inputs, options).loss, {0.93});
}

TEST_CASE("KL estimators k1, k2, k3 in the loss: values and gradients by hand", "[grpo_loss][kl]") {
  use_one_thread();
  // A = 0 and rho = 1, so the policy term is 0 and the loss is beta * token_mean(KL), beta = 0.1.
  // x = logp - ref = [ln 2, -ln 2] (a third, padded token has ref = -inf and must not matter):
  //   k1 = x:                 values [ln 2, -ln 2] -> loss 0;                   dk/dx = 1
  //   k2 = x^2 / 2:           values [(ln 2)^2 / 2] * 2 -> loss 0.1 (ln 2)^2 / 2; dk/dx = x
  //   k3 = e^-x + x - 1:      values [0.5 + ln 2 - 1, 2 - ln 2 - 1], sum 0.5 -> loss 0.025;  dk/dx = 1 - e^-x
  // gradient = beta * dk/dx / 2 tokens.
  const double ln2 = std::log(2.0);
  struct Case {
    KlEstimator estimator;
    double loss;
    std::vector<double> grad;
    double sequence_kl;
  };
  const std::vector<Case> cases = {
      {KlEstimator::kK1, 0.0, {0.05, 0.05, 0}, 0.0},
      {KlEstimator::kK2, 0.1 * ln2 * ln2 / 2, {0.05 * ln2, -0.05 * ln2, 0}, ln2 * ln2},
      {KlEstimator::kK3, 0.025, {0.025, -0.05, 0}, 0.5},
  };
  for (const Case& c : cases) {
    INFO("estimator " << static_cast<int>(c.estimator));
    const at::Tensor ref = doubles({-1, -1, -kInf}, {1, 3});
    const at::Tensor logp = doubles({-1 + ln2, -1 - ln2, -5}, {1, 3}).requires_grad_(true);
    const LossInputs inputs{.logprobs = logp,
                            .old_logprobs = logp.detach(),
                            .ref_logprobs = ref,
                            .advantages = doubles({0}, {1}),
                            .mask = bools({1, 1, 0}, {1, 3})};
    const LossOptions options{.beta = 0.1, .kl_estimator = c.estimator, .aggregation = LossAggregation::kTokenMean};
    const LossResult r = grpo_loss(inputs, options);
    check_values(r.loss, {c.loss});
    r.loss.backward();
    check_values(logp.grad(), c.grad);
    check_values(r.sequence_kl, {c.sequence_kl});
    REQUIRE(r.metrics().kl_mean.has_value());
    CHECK(*r.metrics().kl_mean == Approx(c.sequence_kl / 2).margin(1e-12));
  }
}

TEST_CASE("KL in the reward: no KL term in the loss, per-sequence KL returned", "[grpo_loss][kl]") {
  use_one_thread();
  // Same numbers as the k3 case, but kl_in = reward: loss 0 and zero gradient (A = 0, rho = 1); the caller
  // gets sequence KL 0.5 to subtract (times beta) from the reward.
  const double ln2 = std::log(2.0);
  const at::Tensor logp = doubles({-1 + ln2, -1 - ln2}, {1, 2}).requires_grad_(true);
  const LossInputs inputs{.logprobs = logp,
                          .old_logprobs = logp.detach(),
                          .ref_logprobs = doubles({-1, -1}, {1, 2}),
                          .advantages = doubles({0}, {1}),
                          .mask = bools({1, 1}, {1, 2})};
  const LossOptions options{.beta = 0.1, .kl_placement = KlPlacement::kReward};
  const LossResult r = grpo_loss(inputs, options);
  check_values(r.loss, {0.0});
  r.loss.backward();
  check_values(logp.grad(), {0, 0});
  check_values(r.sequence_kl, {0.5});
}

TEST_CASE("entropy bonus from full logits: loss and logits gradient by hand", "[grpo_loss][entropy]") {
  use_one_thread();
  // One sequence, three positions, vocabulary 2; A = 0, beta = 0, entropy_coef = 0.01, token_mean.
  //   token 0: logits [0, 0]    -> p [1/2, 1/2], H = ln 2
  //   token 1: logits [ln 3, 0] -> p [3/4, 1/4], H = -(3/4 ln 3/4 + 1/4 ln 1/4) = 0.5623351446
  //   token 2: padding, logits [-inf, -inf] (must not produce NaN anywhere)
  // loss = -0.01 (ln 2 + 0.5623351446) / 2 = -0.0062774116
  // dH/dz_j = -p_j (ln p_j + H): token 0 -> [0, 0]; token 1 -> [-0.75 (ln 0.75 + H), -0.25 (ln 0.25 + H)]
  //   = [-0.2059898041, 0.2059898041]; d loss / dz = -0.01 / 2 * dH/dz = [0.0010299490, -0.0010299490].
  const at::Tensor logits = doubles({0, 0, std::log(3.0), 0, -kInf, -kInf}, {1, 3, 2}).requires_grad_(true);
  const at::Tensor logp = doubles({-1, -1, -1}, {1, 3}).requires_grad_(true);
  const LossInputs inputs{.logprobs = logp,
                          .old_logprobs = logp.detach(),
                          .advantages = doubles({0}, {1}),
                          .mask = bools({1, 1, 0}, {1, 3}),
                          .entropy = token_entropy(logits)};
  const LossOptions options{.beta = 0, .aggregation = LossAggregation::kTokenMean, .entropy_coef = 0.01};
  const LossResult r = grpo_loss(inputs, options);
  check_values(r.loss, {-0.0062774116258937675}, 1e-12);
  r.loss.backward();
  check_values(logits.grad(), {0, 0, 0.0010299490206263527, -0.0010299490206263527, 0, 0}, 1e-12);
  check_values(logp.grad(), {0, 0, 0});
  REQUIRE(r.metrics().entropy_mean.has_value());
  CHECK(*r.metrics().entropy_mean == Approx((std::log(2.0) + 0.5623351446188083) / 2));

  // Without entropies the bonus is skipped (and the entropy metric is absent).
  LossInputs without = inputs;
  without.entropy = at::Tensor();
  const LossResult plain = grpo_loss(without, options);
  check_values(plain.loss, {0.0});
  CHECK_FALSE(plain.metrics().entropy_mean.has_value());
}

TEST_CASE("overlong filtering masks truncated sequences out of the loss", "[grpo_loss]") {
  // Batch A with seq 0 truncated. Filter on: only seq 1 counts (2 tokens, sum 3.8):
  //   token_mean 3.8 / 2 = 1.9, gradient [0, 0, 0, 2.2 / 2, 0, 0]; seq_mean_token_mean (1/1)(3.8 / 2) = 1.9.
  // Filter off: the flag is ignored and the loss is batch A's 0.22.
  BatchA a(bools({1, 0}, {2}));
  LossOptions options = no_kl(LossAggregation::kTokenMean);
  options.overlong_filter = true;
  const LossResult r = grpo_loss(a.inputs, options);
  check_values(r.loss, {1.9});
  r.loss.backward();
  check_values(a.logp.grad(), {0, 0, 0, 1.1, 0, 0});
  CHECK(r.metrics().tokens == 2);
  CHECK(r.metrics().sequences == 1);
  CHECK(r.metrics().filtered_sequences == 1);

  options.aggregation = LossAggregation::kSeqMeanTokenMean;
  check_values(grpo_loss(a.inputs, options).loss, {1.9});
  options.overlong_filter = false;
  options.aggregation = LossAggregation::kTokenMean;
  check_values(grpo_loss(a.inputs, options).loss, {0.22});
}

TEST_CASE("the entropy bonus skips overlong-filtered sequences, like the policy loss", "[grpo_loss][entropy]") {
  // Batch A with seq 0 truncated and filtered; entropies H = [1, 2, 3 | 4, 5, (pad)]; A = 0 for both rows so
  // only the bonus is left. entropy_coef 0.1, token_mean: loss = -0.1 (4 + 5) / 2 = -0.45 (the filtered row's
  // 6 nats count neither in the sum nor in the count); gradient -0.05 on the kept cells, 0 elsewhere; metric 4.5.
  BatchA a(bools({1, 0}, {2}));
  a.inputs.advantages = doubles({0, 0}, {2});
  const at::Tensor entropy = doubles({1, 2, 3, 4, 5, 0}, {2, 3}).requires_grad_(true);
  a.inputs.entropy = entropy;
  LossOptions options = no_kl(LossAggregation::kTokenMean);
  options.overlong_filter = true;
  options.entropy_coef = 0.1;
  const LossResult r = grpo_loss(a.inputs, options);
  check_values(r.loss, {-0.45});
  r.loss.backward();
  check_values(entropy.grad(), {0, 0, 0, -0.05, -0.05, 0});
  REQUIRE(r.metrics().entropy_mean.has_value());
  CHECK(*r.metrics().entropy_mean == Approx(4.5));
}

TEST_CASE("micro-batches with the whole batch's normalizer add up to the whole batch", "[grpo_loss]") {
  for (const LossAggregation aggregation :
       {LossAggregation::kSeqMeanTokenMean, LossAggregation::kTokenMean, LossAggregation::kSeqMeanTokenSumNorm}) {
    INFO("aggregation " << static_cast<int>(aggregation));
    const LossOptions options = no_kl(aggregation);
    BatchA whole;
    const LossResult full = grpo_loss(whole.inputs, options);
    full.loss.backward();

    BatchA split;
    const LossNormalizer norm = loss_normalizer(split.inputs.mask, split.inputs.truncated, options);
    CHECK(norm.sequences == 2);
    CHECK(norm.tokens == 5);
    double total = 0;
    for (int64_t row = 0; row < 2; ++row) {
      const LossInputs micro{.logprobs = split.logp.slice(0, row, row + 1),
                             .old_logprobs = split.old_logp.slice(0, row, row + 1),
                             .advantages = split.inputs.advantages.slice(0, row, row + 1),
                             .mask = split.inputs.mask.slice(0, row, row + 1)};
      const LossResult part = grpo_loss(micro, options, norm);
      part.loss.backward();
      total += part.loss.item<double>();
    }
    CHECK(total == Approx(full.loss.item<double>()).epsilon(1e-12));
    check_values(split.logp.grad(),
                 std::vector<double>(whole.logp.grad().data_ptr<double>(), whole.logp.grad().data_ptr<double>() + 6));
  }
}

TEST_CASE("a batch with no effective token has loss 0 and zero gradient", "[grpo_loss]") {
  BatchA a(bools({1, 1}, {2}));
  LossOptions options = no_kl(LossAggregation::kSeqMeanTokenMean);
  options.overlong_filter = true;
  const LossResult r = grpo_loss(a.inputs, options);
  check_values(r.loss, {0.0});
  r.loss.backward();
  check_values(a.logp.grad(), {0, 0, 0, 0, 0, 0});
  CHECK(r.metrics().tokens == 0);
  CHECK(r.metrics().ratio_mean == 0);
}

TEST_CASE("bad inputs are named in the error", "[grpo_loss]") {
  BatchA a;
  using Catch::Matchers::Contains;
  LossInputs wrong = a.inputs;
  wrong.advantages = doubles({1, 2, 3}, {3});
  CHECK_THROWS_WITH(grpo_loss(wrong, LossOptions{.beta = 0}),
                    Contains("advantages") && Contains("[3]") && Contains("expected [2]"));
  wrong = a.inputs;
  wrong.mask = doubles({1, 1, 2, 1, 1, 0}, {2, 3});
  CHECK_THROWS_WITH(grpo_loss(wrong, LossOptions{.beta = 0}), Contains("mask") && Contains("0 and 1"));
  CHECK_THROWS_WITH(grpo_loss(a.inputs, LossOptions{.beta = 0.04}), Contains("no ref_logprobs"));
  CHECK_THROWS_AS(grpo_loss(a.inputs, LossOptions{.dual_clip = 0.5, .beta = 0}), spct::UsageError);
  wrong = a.inputs;
  wrong.entropy = doubles({0, 0}, {1, 2});
  CHECK_THROWS_WITH(grpo_loss(wrong, LossOptions{.beta = 0}), Contains("entropy") && Contains("[1, 2]"));
}
