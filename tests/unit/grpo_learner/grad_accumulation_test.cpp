// Gradient accumulation (grpo.micro_batch_size): the minibatch's passes of a few completions each give the same
// gradient (and so the same update) as one pass over the whole minibatch, for every loss aggregation.
#include <ATen/Parallel.h>
#include <ATen/ops/allclose.h>

#include <catch2/catch.hpp>

#include "learner/grpo_learner.h"
#include "models/model_config.h"
#include "tiny_learner.h"

using spct::learner::GrpoLearner;

namespace {

spct::config::Config tiny_config(const std::string& aggregation, int64_t micro_batch_size) {
  spct::config::Config config = spct::test::tiny_learner_config();
  config.grpo.beta = 0.05;
  config.grpo.entropy_coef = 0.01;
  config.grpo.loss_aggregation = *spct::config::from_string<spct::config::LossAggregation>(aggregation);
  config.grpo.micro_batch_size = micro_batch_size;
  config.grpo.overlong_filter = true;
  return config;
}

}  // namespace

TEST_CASE("gradient accumulation gives the update of a single pass") {
  at::set_num_threads(1);
  for (const std::string aggregation : {"seq_mean_token_mean", "token_mean", "seq_mean_token_sum_norm"}) {
    CAPTURE(aggregation);
    for (const int64_t micro : {1, 2, 4}) {
      CAPTURE(micro);
      const auto whole_config = tiny_config(aggregation, 0);
      const auto micro_config = tiny_config(aggregation, micro);
      spct::models::Transformer whole(spct::models::from_section(whole_config.model, spct::test::kTinyVocab), 3);
      spct::models::Transformer accumulated(spct::models::from_section(micro_config.model, spct::test::kTinyVocab), 3);
      GrpoLearner whole_learner(spct::learner::grpo_learner_options(whole_config), whole, nullptr);
      GrpoLearner micro_learner(spct::learner::grpo_learner_options(micro_config), accumulated, nullptr);
      const auto a = whole_learner.step(spct::test::tiny_batch(), 0);
      const auto b = micro_learner.step(spct::test::tiny_batch(), 0);
      CHECK(a.at("loss/total") == Approx(b.at("loss/total")).epsilon(1e-5));
      CHECK(a.at("loss/kl") == Approx(b.at("loss/kl")).epsilon(1e-5).margin(1e-9));
      CHECK(a.at("optim/grad_norm") == Approx(b.at("optim/grad_norm")).epsilon(1e-4));
      // The gradients the optimizer stepped with (compared rather than the weights after AdamW, which turns
      // float noise in a gradient that is zero in exact arithmetic, such as a key bias's, into a full step).
      const auto pa = whole.named_parameters();
      const auto pb = accumulated.named_parameters();
      for (std::size_t i = 0; i < pa.size(); ++i) {
        CAPTURE(pa[i].name);
        REQUIRE(pa[i].tensor.grad().defined());
        CHECK(at::allclose(pa[i].tensor.grad(), pb[i].tensor.grad(), 1e-4, 1e-7));
      }
    }
  }
}

TEST_CASE("accumulation actually splits: a micro-batch size of 1 still trains") {
  at::set_num_threads(1);
  const auto config = tiny_config("token_mean", 1);
  spct::models::Transformer policy(spct::models::from_section(config.model, spct::test::kTinyVocab), 3);
  const auto before = policy.named_parameters()[0].tensor.clone();
  GrpoLearner learner(spct::learner::grpo_learner_options(config), policy, nullptr);
  learner.step(spct::test::tiny_batch(), 0);
  CHECK_FALSE(at::allclose(before, policy.named_parameters()[0].tensor));
}
