#include "learner/kl.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "learner/kl_controller.h"
#include "tensor_helpers.h"

using namespace spct::learner;
using namespace spct::learner::testing;

TEST_CASE("sequence KL sums each sequence's masked tokens", "[kl]") {
  use_one_thread();
  // x = logp - ref: seq 0 [ln 2, -ln 2, (pad)], seq 1 [0, ln 2, ln 2].
  // k3 = e^-x + x - 1: seq 0 0.5 + ln 2 - 1 + 2 - ln 2 - 1 = 0.5; seq 1 0 + 2 (ln 2 - 0.5) = 2 ln 2 - 1.
  // k1: seq 0 0, seq 1 2 ln 2.  k2: seq 0 (ln 2)^2, seq 1 (ln 2)^2.
  const double ln2 = std::log(2.0);
  const at::Tensor logp = doubles({ln2, -ln2, -std::numeric_limits<double>::infinity(), 0, ln2, ln2}, {2, 3});
  const at::Tensor ref = doubles({0, 0, 0, 0, 0, 0}, {2, 3});
  const at::Tensor mask = bools({1, 1, 0, 1, 1, 1}, {2, 3});
  check_values(sequence_kl(logp, ref, mask, KlEstimator::kK3), {0.5, 2 * ln2 - 1});
  check_values(sequence_kl(logp, ref, mask, KlEstimator::kK1), {0, 2 * ln2});
  check_values(sequence_kl(logp, ref, mask, KlEstimator::kK2), {ln2 * ln2, ln2 * ln2});
  CHECK_THROWS_WITH(sequence_kl(logp, ref, bools({1, 1}, {1, 2}), KlEstimator::kK3),
                    Catch::Matchers::Contains("mask has shape [1, 2], expected [2, 3]"));
}

TEST_CASE("k3 stays finite for a token the policy has forgotten", "[kl]") {
  use_one_thread();
  // x = -200: e^200 overflows float32; the clamp to -20 gives e^20 - 21.
  const at::Tensor logp = doubles({-201}, {1}).to(at::kFloat).requires_grad_(true);
  const at::Tensor kl = token_kl(logp, doubles({-1}, {1}).to(at::kFloat), KlEstimator::kK3);
  CHECK(std::isfinite(kl.item<double>()));
  CHECK(kl.item<double>() == Approx(std::exp(20.0) - 21).epsilon(1e-6));
  kl.sum().backward();
  CHECK(logp.grad().item<double>() == 0);
}

TEST_CASE("adaptive KL controller moves beta towards the target, by at most 20% per horizon", "[kl]") {
  // beta 0.1, target 0.05, horizon 100 samples.
  KlController c(0.1, 0.05, 100);
  CHECK(c.adaptive());
  c.update(0.1, 10);  // e = clamp(0.1 / 0.05 - 1, +-0.2) = 0.2: beta *= 1 + 0.2 * 10 / 100 = 1.02
  CHECK(c.beta() == Approx(0.102));
  c.update(0.045, 10);  // e = 0.045 / 0.05 - 1 = -0.1: beta *= 1 - 0.01
  CHECK(c.beta() == Approx(0.10098));
  c.update(NAN, 10);  // a non-finite measurement changes nothing
  CHECK(c.beta() == Approx(0.10098));
  c.update(0.0, 1000);  // e = -0.2 over 10 horizons would give a negative factor: beta stops at 0
  CHECK(c.beta() == 0);

  KlController fixed(0.04, 0, 10000);
  fixed.update(5.0, 512);
  CHECK(fixed.beta() == 0.04);
  fixed.set_beta(0.08);  // restored from a checkpoint
  CHECK(fixed.beta() == 0.08);

  CHECK_THROWS_WITH(KlController(0.04, 0, 0), Catch::Matchers::Contains("grpo.kl_horizon"));
}
