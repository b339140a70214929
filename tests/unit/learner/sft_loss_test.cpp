#include "learner/sft_loss.h"

#include <ATen/ops/tensor.h>

#include <catch2/catch.hpp>
#include <cmath>

#include "core/error.h"
#include "tensor_helpers.h"

using namespace spct::learner;
using namespace spct::learner::testing;

TEST_CASE("SFT loss from log-probs is the masked token mean of -logp", "[sft_loss]") {
  use_one_thread();
  // Masked tokens -1, -2, -3 (the fourth is padding, -inf): loss (1 + 2 + 3) / 3 = 2, gradient -1/3 each.
  const at::Tensor logp = doubles({-1, -2, -3, -INFINITY}, {2, 2}).requires_grad_(true);
  const at::Tensor loss = sft_loss(logp, bools({1, 1, 1, 0}, {2, 2}));
  check_values(loss, {2.0});
  loss.backward();
  check_values(logp.grad(), {-1.0 / 3, -1.0 / 3, -1.0 / 3, 0});
  // An empty mask: 0, not NaN.
  check_values(sft_loss(logp, bools({0, 0, 0, 0}, {2, 2})), {0.0});
}

TEST_CASE("SFT loss from logits and targets is cross-entropy", "[sft_loss]") {
  use_one_thread();
  // Vocabulary 2, logits [ln 3, 0] -> p = [3/4, 1/4]. Targets 0 and 1: -ln 3/4 and -ln 1/4; the padding target
  // is -100 (ignored). Mean (0.2876820725 + 1.3862943611) / 2. d/dz = (p - onehot) / 2:
  // token 0 [-1/8, 1/8], token 1 [3/8, -3/8].
  const at::Tensor logits = doubles({std::log(3.0), 0, std::log(3.0), 0, 0, 0}, {1, 3, 2}).requires_grad_(true);
  const at::Tensor targets = at::tensor({int64_t{0}, int64_t{1}, int64_t{-100}}, at::kLong).reshape({1, 3});
  const at::Tensor loss = sft_loss(logits, targets, bools({1, 1, 0}, {1, 3}));
  check_values(loss, {(-std::log(0.75) - std::log(0.25)) / 2});
  loss.backward();
  check_values(logits.grad(), {-0.125, 0.125, 0.375, -0.375, 0, 0});

  const at::Tensor out_of_range = at::tensor({int64_t{0}, int64_t{2}, int64_t{0}}, at::kLong).reshape({1, 3});
  CHECK_THROWS_WITH(sft_loss(logits, out_of_range, bools({1, 1, 0}, {1, 3})),
                    Catch::Matchers::Contains("outside the vocabulary [0, 2)"));
}
