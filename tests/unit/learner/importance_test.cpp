// Truncated importance sampling in the GRPO loss, and the float32 path agreeing with float64.
// ATen before Catch: ATen pulls in glog, whose CHECK must be defined first so that Catch's CHECK wins.
#include <ATen/core/Tensor.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "learner/grpo_loss.h"
#include "tensor_helpers.h"

using namespace spct::learner;
using namespace spct::learner::testing;

TEST_CASE("truncated importance sampling weights the policy term by min(exp(old - rollout), cap)", "[grpo_loss]") {
  use_one_thread();
  // Batch A of grpo_loss_test.cpp (pg [-1, -1.2, -0.5 | 2.2, 1.6], d pg / d logp g [-1, 0, -0.5 | 2.2, 0]) with
  // raw weights exp(old - rollout) = [1, 3, 0.5 | 1.5, 1, pad] and cap 2 -> w = [1, 2, 0.5 | 1.5, 1].
  //   weighted pg: [-1, -2.4, -0.25 | 3.3, 1.6]; token_mean (-3.65 + 4.9) / 5 = 0.25
  //   gradient g w / 5: [-0.2, 0, -0.05 | 0.66, 0, 0]
  //   metrics: weight mean (1 + 2 + 0.5 + 1.5 + 1) / 5 = 1.2; capped: token (0, 1) only -> 0.2
  const double inf = std::numeric_limits<double>::infinity();
  const at::Tensor old_logp = doubles({-1, -1, -1, -2, -2, -2}, {2, 3});
  const at::Tensor logp = doubles({-1 + std::log(1.0), -1 + std::log(1.5), -1 + std::log(0.5), -2 + std::log(1.1),
                                   -2 + std::log(0.7), -inf},
                                  {2, 3})
                              .requires_grad_(true);
  const at::Tensor rollout =
      doubles({-1 - std::log(1.0), -1 - std::log(3.0), -1 - std::log(0.5), -2 - std::log(1.5), -2, inf}, {2, 3});
  const LossInputs inputs{.logprobs = logp,
                          .old_logprobs = old_logp,
                          .advantages = doubles({1, -2}, {2}),
                          .mask = bools({1, 1, 1, 1, 1, 0}, {2, 3}),
                          .rollout_logprobs = rollout};
  const LossOptions options{.beta = 0, .aggregation = LossAggregation::kTokenMean, .importance_cap = 2};
  const LossResult r = grpo_loss(inputs, options);
  check_values(r.loss, {0.25});
  r.loss.backward();
  check_values(logp.grad(), {-0.2, 0, -0.05, 0.66, 0, 0});
  REQUIRE(r.metrics().importance_weight_mean.has_value());
  CHECK(*r.metrics().importance_weight_mean == Approx(1.2));
  CHECK(r.metrics().importance_capped_fraction == Approx(0.2));

  // Off (cap 0): the rollout log-probs are ignored and the loss is batch A's token mean 0.22.
  const LossResult off = grpo_loss(inputs, LossOptions{.beta = 0, .aggregation = LossAggregation::kTokenMean});
  check_values(off.loss, {0.22});
  CHECK_FALSE(off.metrics().importance_weight_mean.has_value());
}

TEST_CASE("float32 inputs give the float64 loss and gradient to float precision", "[grpo_loss]") {
  use_one_thread();
  // Every option on at once: k3 KL in the loss, dual clip, entropy bonus, overlong filter, clip-higher.
  const std::vector<double> logp_values = {-0.5, -1.2, -2.0, -0.1, -3.0, -0.7, -1.5, -0.2};
  const std::vector<double> old_values = {-0.6, -1.0, -2.5, -0.1, -1.0, -0.8, -1.4, -0.3};
  const std::vector<double> ref_values = {-0.4, -1.1, -2.2, -0.3, -2.0, -0.9, -1.3, -0.1};
  const std::vector<double> logit_values = {0.1,  -0.3, 0.7, 1.2, 0.0, -1.0, 0.4, 0.4,  2.0,  -2.0, 0.3,  0.9,
                                            -0.5, 0.6,  0.0, 1.1, 0.2, -0.2, 0.8, -0.8, 0.05, 0.5,  -0.6, 0.3};
  const LossOptions options{.clip_low = 0.2,
                            .clip_high = 0.28,
                            .dual_clip = 3,
                            .beta = 0.04,
                            .aggregation = LossAggregation::kSeqMeanTokenMean,
                            .entropy_coef = 0.01,
                            .overlong_filter = true};
  std::vector<double> losses;
  std::vector<at::Tensor> grads;
  for (const at::ScalarType dtype : {at::kDouble, at::kFloat}) {
    const at::Tensor logp = doubles(logp_values, {2, 4}).to(dtype).requires_grad_(true);
    const at::Tensor logits = doubles(logit_values, {2, 4, 3}).to(dtype).requires_grad_(true);
    const LossInputs inputs{.logprobs = logp,
                            .old_logprobs = doubles(old_values, {2, 4}).to(dtype),
                            .ref_logprobs = doubles(ref_values, {2, 4}).to(dtype),
                            .advantages = doubles({-0.8, 1.3}, {2}).to(dtype),
                            .mask = bools({1, 1, 1, 0, 1, 1, 1, 1}, {2, 4}),
                            .truncated = bools({0, 0}, {2}),
                            .entropy = token_entropy(logits)};
    const LossResult r = grpo_loss(inputs, options);
    r.loss.backward();
    losses.push_back(r.loss.item<double>());
    grads.push_back(logp.grad().to(at::kDouble));
    grads.push_back(logits.grad().to(at::kDouble));
  }
  CHECK(losses[1] == Approx(losses[0]).epsilon(0).margin(1e-6));  // |loss| ~ 0.06: float32 round-off ~1e-7
  CHECK(losses[0] != 0);
  for (const int i : {0, 1}) {
    const at::Tensor reference = grads[static_cast<size_t>(i)];
    check_values(grads[static_cast<size_t>(i) + 2],
                 std::vector<double>(reference.data_ptr<double>(), reference.data_ptr<double>() + reference.numel()),
                 1e-6);
  }
}
