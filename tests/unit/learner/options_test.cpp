// From the experiment config's grpo section to the learner's options, through the real config loader.
#include <catch2/catch.hpp>

#include "core/config/loader.h"
#include "core/error.h"
#include "learner/loss_options.h"
#include "learner/optimizer.h"

using namespace spct::learner;
using Catch::Matchers::Contains;

TEST_CASE("defaults map to GRPO", "[options]") {
  const spct::config::Config defaults;
  const LossOptions o = from_config(defaults.grpo, defaults.rollout.max_new_tokens);
  CHECK(o.aggregation == LossAggregation::kSeqMeanTokenMean);
  CHECK(o.kl_estimator == KlEstimator::kK3);
  CHECK(o.kl_placement == KlPlacement::kLoss);
  CHECK(o.beta == defaults.grpo.beta);
  CHECK(o.clip_low == 0.2);
  CHECK(o.dual_clip == 0);
  CHECK(o.sum_norm_tokens == static_cast<double>(defaults.rollout.max_new_tokens));
  CHECK_FALSE(o.overlong_filter);
}

TEST_CASE("a DAPO-style YAML config maps field by field", "[options]") {
  const std::string yaml =
      "grpo:\n"
      "  beta: 0\n"
      "  clip_high: 0.28\n"
      "  loss_aggregation: token_mean\n"
      "  kl_estimator: k1\n"
      "  kl_in: reward\n"
      "  dual_clip: 3\n"
      "  entropy_coef: 0.001\n"
      "  overlong_filter: true\n"
      "  adam_beta2: 0.95\n"
      "rollout:\n"
      "  max_new_tokens: 16\n";
  const spct::config::ResolvedConfig resolved = spct::config::load_config_text(yaml, "<test>", ".", {});
  const LossOptions o = from_config(resolved.config.grpo, resolved.config.rollout.max_new_tokens);
  CHECK(o.beta == 0);
  CHECK(o.clip_high == 0.28);
  CHECK(o.aggregation == LossAggregation::kTokenMean);
  CHECK(o.kl_estimator == KlEstimator::kK1);
  CHECK(o.kl_placement == KlPlacement::kReward);
  CHECK(o.dual_clip == 3);
  CHECK(o.entropy_coef == 0.001);
  CHECK(o.overlong_filter);
  CHECK(o.sum_norm_tokens == 16);
  const AdamWOptions adam = adamw_options_from_config(resolved.config.grpo);
  CHECK(adam.beta2 == 0.95);
  CHECK(adam.lr == resolved.config.grpo.lr);
}

TEST_CASE("inconsistent loss options are refused naming the key", "[options]") {
  spct::config::GrpoSection grpo;
  grpo.dual_clip = 0.5;
  CHECK_THROWS_WITH(from_config(grpo, 8), Contains("grpo.dual_clip"));
  grpo = {};
  grpo.loss_aggregation = spct::config::LossAggregation::kSeqMeanTokenSumNorm;
  CHECK_THROWS_WITH(from_config(grpo, 0), Contains("rollout.max_new_tokens"));
  CHECK_THROWS_AS(validate(LossOptions{.clip_low = 1.0}), spct::UsageError);
}
