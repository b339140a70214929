// The entropy bonus with overlong filtering: it is aggregated like the policy loss, over the same kept tokens
// (filtered completions contribute nothing, to the sum or to the count), and the loss/entropy metric is the
// mean over those tokens. Checked against the loss written out by hand on an identical model: the same
// gradients and the same figures.
#include <ATen/Parallel.h>
#include <ATen/TensorOperators.h>
#include <ATen/ops/allclose.h>
#include <ATen/ops/exp.h>
#include <ATen/ops/tensor.h>

#include <catch2/catch.hpp>

#include "learner/advantages.h"
#include "learner/grpo_learner.h"
#include "models/logprobs.h"
#include "models/model_config.h"
#include "tiny_learner.h"

using spct::learner::GrpoLearner;

TEST_CASE("the entropy bonus and metric cover the tokens the loss keeps, aggregated like the policy loss") {
  at::set_num_threads(1);
  spct::config::Config config = spct::test::tiny_learner_config();
  config.grpo.beta = 0;
  config.grpo.entropy_coef = 0.5;
  config.grpo.overlong_filter = true;
  config.grpo.grad_clip = 0;
  config.rollout.temperature = 1.0;
  const std::string aggregation = GENERATE(std::string("token_mean"), std::string("seq_mean_token_mean"));
  CAPTURE(aggregation);
  config.grpo.loss_aggregation = *spct::config::from_string<spct::config::LossAggregation>(aggregation);
  const spct::learner::LearnerBatch batch = spct::test::tiny_batch();

  // By hand, on a copy of the initial model: one epoch of one minibatch, so the ratio is 1 with the gradient of
  // the log-probs; the kept tokens are those of the completions not flagged truncated.
  spct::models::Transformer reference(spct::models::from_section(config.model, spct::test::kTinyVocab), 5);
  reference.set_requires_grad(true);
  const spct::models::CompletionLogProbs lp = spct::models::completion_logprobs(
      reference, batch.prompts, batch.completions, {.with_entropy = true, .entropy_grad = true});
  std::vector<uint8_t> kept_rows;
  for (const bool truncated : batch.truncated) kept_rows.push_back(truncated ? 0 : 1);
  const at::Tensor kept =
      lp.mask.logical_and(at::tensor(at::ArrayRef<uint8_t>(kept_rows)).to(at::kBool).unsqueeze(1)).to(at::kFloat);
  const std::vector<double> advantages = spct::learner::batch_advantages(
      batch.rewards, batch.group_size, {.std_normalize = true, .eps = config.grpo.advantage_eps});
  const at::Tensor adv = at::tensor(at::ArrayRef<double>(advantages)).to(at::kFloat).unsqueeze(1);
  const at::Tensor ratio = at::exp(lp.logprobs - lp.logprobs.detach());
  const at::Tensor per_token_pg = -adv * ratio;
  const at::Tensor per_token_entropy = lp.entropy;
  const double kept_tokens = kept.sum().item<double>();
  const auto aggregate = [&](const at::Tensor& per_token) {
    if (aggregation == "token_mean") return (per_token * kept).sum() / kept_tokens;
    const at::Tensor lengths = kept.sum(1);
    const at::Tensor contributing = lengths.gt(0);
    return ((per_token * kept).sum(1) / lengths.clamp_min(1)).masked_select(contributing).sum() /
           contributing.sum().item<double>();
  };
  const at::Tensor policy_loss = aggregate(per_token_pg);
  const at::Tensor loss = policy_loss - config.grpo.entropy_coef * aggregate(per_token_entropy);
  loss.backward();
  const double entropy_mean = ((lp.entropy * kept).sum() / kept_tokens).item<double>();

  spct::models::Transformer policy(spct::models::from_section(config.model, spct::test::kTinyVocab), 5);
  GrpoLearner learner(spct::learner::grpo_learner_options(config), policy, nullptr);
  const spct::Metrics metrics = learner.step(batch, 0);
  CHECK(metrics.at("loss/entropy") == Approx(entropy_mean).epsilon(1e-5));
  CHECK(metrics.at("loss/policy") == Approx(policy_loss.item<double>()).epsilon(1e-5).margin(1e-7));
  CHECK(metrics.at("loss/total") == Approx(loss.item<double>()).epsilon(1e-5).margin(1e-7));
  const auto stepped = policy.named_parameters();
  const auto expected = reference.named_parameters();
  for (std::size_t i = 0; i < stepped.size(); ++i) {
    CAPTURE(stepped[i].name);
    REQUIRE(stepped[i].tensor.grad().defined());
    CHECK(at::allclose(stepped[i].tensor.grad(), expected[i].tensor.grad(), 1e-4, 1e-7));
  }
}
