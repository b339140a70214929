// Asynchronous mode (rollout.mode async): the learner weights each token's policy term by the truncated
// importance ratio min(pi_old / pi_behaviour, grpo.importance_cap), pi_behaviour being the sampler's log-probs
// that travel with the groups. Checked on the gradients: a sampler that agrees with the learner changes
// nothing; one that gave every token 1/1.5 of the learner's probability scales the policy gradient by 1.5;
// the cap bounds that scale.
#include <ATen/Parallel.h>
#include <ATen/ops/allclose.h>

#include <catch2/catch.hpp>
#include <cmath>

#include "learner/grpo_learner.h"
#include "models/logprobs.h"
#include "models/model_config.h"
#include "tiny_learner.h"

using spct::learner::GrpoLearner;

namespace {

spct::config::Config tiny_config(const std::string& mode, double cap) {
  spct::config::Config config = spct::test::tiny_learner_config();
  config.rollout.mode = *spct::config::from_string<spct::config::RolloutMode>(mode);
  config.grpo.beta = 0;       // the policy term alone, so the whole gradient scales with the weight
  config.grpo.grad_clip = 0;  // compare raw gradients
  config.grpo.importance_cap = cap;
  return config;
}

// The shared batch, with the sampler's log-probs: the policy's own minus `log_shift` on every token.
spct::learner::LearnerBatch batch(const spct::models::Transformer& policy, double log_shift) {
  spct::learner::LearnerBatch b = spct::test::tiny_batch();
  const at::Tensor own =
      spct::models::completion_logprobs(policy, b.prompts, b.completions, {1.0, false}).logprobs.contiguous();
  for (std::size_t i = 0; i < b.completions.size(); ++i) {
    std::vector<float> row;
    for (std::size_t t = 0; t < b.completions[i].size(); ++t) {
      row.push_back(own[static_cast<int64_t>(i)][static_cast<int64_t>(t)].item<float>() -
                    static_cast<float>(log_shift));
    }
    b.rollout_logprobs.push_back(row);
  }
  return b;
}

struct Update {
  spct::Metrics metrics;
  std::vector<at::Tensor> gradients;
};

Update one_step(const std::string& mode, double cap, double log_shift) {
  const spct::config::Config config = tiny_config(mode, cap);
  spct::models::Transformer policy(spct::models::from_section(config.model, spct::test::kTinyVocab), 3);
  GrpoLearner learner(spct::learner::grpo_learner_options(config), policy, nullptr);
  Update update{learner.step(batch(policy, log_shift), 0), {}};
  for (const auto& parameter : policy.named_parameters()) update.gradients.push_back(parameter.tensor.grad().clone());
  return update;
}

void check_scaled(const Update& update, const Update& reference, double scale) {
  REQUIRE(update.gradients.size() == reference.gradients.size());
  for (std::size_t i = 0; i < update.gradients.size(); ++i) {
    CAPTURE(i);
    CHECK(at::allclose(update.gradients[i], reference.gradients[i].mul(scale), 1e-4, 1e-7));
  }
}

}  // namespace

TEST_CASE("a sampler that agrees with the learner leaves the update as in synchronous mode") {
  at::set_num_threads(1);
  const Update sync = one_step("sync", 2.0, 0.0);
  const Update async = one_step("async", 2.0, 0.0);
  CHECK_FALSE(sync.metrics.count("loss/importance_weight_mean"));
  CHECK(async.metrics.at("loss/importance_weight_mean") == Approx(1.0).epsilon(1e-5));
  CHECK(async.metrics.at("loss/importance_capped_fraction") == 0.0);
  check_scaled(async, sync, 1.0);
}

TEST_CASE("tokens the stale sampler found less likely weigh more, up to the cap") {
  at::set_num_threads(1);
  const Update sync = one_step("sync", 2.0, std::log(1.5));
  SECTION("under the cap the weight is the ratio") {
    const Update async = one_step("async", 2.0, std::log(1.5));
    CHECK(async.metrics.at("loss/importance_weight_mean") == Approx(1.5).epsilon(1e-4));
    CHECK(async.metrics.at("loss/importance_capped_fraction") == 0.0);
    check_scaled(async, sync, 1.5);
  }
  SECTION("over the cap the weight is the cap") {
    const Update async = one_step("async", 1.2, std::log(1.5));
    CHECK(async.metrics.at("loss/importance_weight_mean") == Approx(1.2).epsilon(1e-4));
    CHECK(async.metrics.at("loss/importance_capped_fraction") == 1.0);
    check_scaled(async, sync, 1.2);
  }
  SECTION("a cap of 0 turns the correction off") {
    const Update async = one_step("async", 0.0, std::log(1.5));
    CHECK_FALSE(async.metrics.count("loss/importance_weight_mean"));
    check_scaled(async, sync, 1.0);
  }
}
