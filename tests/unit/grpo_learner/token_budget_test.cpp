// Micro-batches by token budget (grpo.micro_batch_tokens), sequence packing (grpo.packing) and shared prompts
// (grpo.share_prompts): length-sorted passes, packed rows behind a block-diagonal mask, and a group's prompt laid
// out once for its completions, give the same training as one padded pass over the whole minibatch, for every loss
// aggregation, and the step reports its padding and pass count.
#include <ATen/Parallel.h>
#include <ATen/TensorOperators.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <tuple>
#include <utility>

#include "learner/grpo_learner.h"
#include "learner/grpo_learner_options.h"
#include "learner/micro_batches.h"
#include "models/model_config.h"
#include "tiny_learner.h"

using spct::learner::GrpoLearner;

namespace {

spct::config::Config budget_config(spct::config::LossAggregation aggregation, int64_t tokens, int64_t epochs,
                                   bool packing = false, bool share_prompts = false) {
  spct::config::Config config = spct::test::tiny_learner_config();
  config.grpo.packing = packing;
  config.grpo.share_prompts = share_prompts;
  config.grpo.beta = 0.05;
  config.grpo.entropy_coef = 0.01;
  config.grpo.loss_aggregation = aggregation;
  config.grpo.micro_batch_tokens = tokens;
  config.grpo.overlong_filter = true;
  config.grpo.epochs = epochs;  // more than one: pi_old and the reference come from the no-grad passes too
  // Still a thousand times the default: every step moves the weights well above float noise, and AdamW's
  // normalisation does not blow the noise of near-zero gradient elements up to a 1e-2 step.
  config.grpo.lr = 1e-3;
  return config;
}

// The tiny model without key biases: their gradient is zero in exact arithmetic, and AdamW turns float noise
// there into a full step of either sign, which no weight comparison survives.
spct::models::ModelConfig shape(const spct::config::Config& config) {
  spct::models::ModelConfig m = spct::models::from_section(config.model, spct::test::kTinyVocab);
  m.qkv_bias = false;
  return m;
}

// Padded and real tokens of the tiny batch's passes under `limits`, from the batch itself.
spct::learner::PaddingTotals tiny_padding(const spct::learner::MicroBatchLimits& limits) {
  const spct::learner::LearnerBatch batch = spct::test::tiny_batch();
  std::vector<int64_t> prompts, completions;
  for (int64_t i = 0; i < batch.size(); ++i) {
    prompts.push_back(static_cast<int64_t>(batch.prompts[static_cast<std::size_t>(i)].size()));
    completions.push_back(static_cast<int64_t>(batch.completions[static_cast<std::size_t>(i)].size()));
  }
  return spct::learner::padding_totals(spct::learner::plan_micro_batches(prompts, completions, limits));
}

// Trains `whole` and `other` configs from the same initial weights for 4 steps and checks that they end within 1e-6
// relative of each other, having moved far beyond that, along different (not bit-identical) paths.
void check_same_training(const spct::config::Config& whole_config, const spct::config::Config& other_config,
                         int64_t other_passes) {
  spct::models::Transformer whole(shape(whole_config), 3);
  spct::models::Transformer other(shape(other_config), 3);
  GrpoLearner whole_learner(spct::learner::grpo_learner_options(whole_config), whole, nullptr);
  GrpoLearner other_learner(spct::learner::grpo_learner_options(other_config), other, nullptr);
  const int64_t epochs = whole_config.grpo.epochs;
  for (int64_t step = 0; step < 4; ++step) {
    const auto a = whole_learner.step(spct::test::tiny_batch(), step);
    const auto b = other_learner.step(spct::test::tiny_batch(), step);
    CHECK(a.at("loss/total") == Approx(b.at("loss/total")).epsilon(1e-5));
    CHECK(a.at("learner/micro_batches") == static_cast<double>(epochs));
    CHECK(b.at("learner/micro_batches") == static_cast<double>(other_passes * epochs));
  }
  const spct::models::Transformer initial(shape(whole_config), 3);
  const auto pa = whole.named_parameters();
  const auto pb = other.named_parameters();
  const auto p0 = initial.named_parameters();
  bool moved = false;
  for (std::size_t i = 0; i < pa.size(); ++i) {
    CAPTURE(pa[i].name);
    // Relative to the tensor's largest weight.
    const double scale = pa[i].tensor.abs().max().item<double>();
    const double diff = (pa[i].tensor - pb[i].tensor).abs().max().item<double>();
    CHECK(diff <= 1e-6 * scale);
    moved = moved || diff > 0;
    // The steps did train this tensor, far beyond the tolerance.
    CHECK((pa[i].tensor - p0[i].tensor).abs().max().item<double>() > 1e-3 * scale);
  }
  // Not vacuous: the two runs did not take bit-identical paths (the passes sum in another order).
  INFO("bit-identical weights: the budget or packing did not change the passes");
  CHECK(moved);
}

}  // namespace

TEST_CASE("a token budget trains to the same weights as one pass per minibatch") {
  at::set_num_threads(1);
  // The tiny batch's rows are 3 to 7 tokens long: a budget of 14 packs them into 3 passes of 2 rows.
  constexpr int64_t kBudget = 14;
  using spct::config::LossAggregation;
  for (const LossAggregation aggregation :
       {LossAggregation::kSeqMeanTokenMean, LossAggregation::kTokenMean, LossAggregation::kSeqMeanTokenSumNorm}) {
    for (const int64_t epochs : {1, 2}) {
      CAPTURE(spct::config::to_string(aggregation), epochs);
      check_same_training(budget_config(aggregation, 0, epochs), budget_config(aggregation, kBudget, epochs), 3);
    }
  }
}

TEST_CASE("packed sequences train to the same weights as one padded pass per minibatch") {
  at::set_num_threads(1);
  // Packed, the tiny batch (sequences of 7, 6, 5, 4, 4 and 3 tokens) fills 5 rows of 7, the 4 and the 3 sharing
  // one; with a budget of 14 cells, 3 passes of rows 7 / 6, 5 / 4 and 4 / 3 tokens wide.
  using spct::config::LossAggregation;
  for (const LossAggregation aggregation :
       {LossAggregation::kSeqMeanTokenMean, LossAggregation::kTokenMean, LossAggregation::kSeqMeanTokenSumNorm}) {
    for (const int64_t epochs : {1, 2}) {
      for (const auto& [budget, passes] : {std::pair{int64_t{0}, int64_t{1}}, std::pair{int64_t{14}, int64_t{3}}}) {
        CAPTURE(spct::config::to_string(aggregation), epochs, budget);
        check_same_training(budget_config(aggregation, 0, epochs),
                            budget_config(aggregation, budget, epochs, /*packing=*/true), passes);
      }
    }
  }
}

TEST_CASE("shared prompts train to the same weights as one padded pass per minibatch") {
  at::set_num_threads(1);
  // The tiny batch's two groups as units of one prompt and three completions: 3 + 2 + 1 + 4 = 10 and 2 + 1 + 4 + 2
  // = 9 tokens, in 2 rows of one pass; with a budget of 14 cells, a pass each.
  using spct::config::LossAggregation;
  for (const LossAggregation aggregation :
       {LossAggregation::kSeqMeanTokenMean, LossAggregation::kTokenMean, LossAggregation::kSeqMeanTokenSumNorm}) {
    for (const int64_t epochs : {1, 2}) {
      for (const auto& [budget, passes] : {std::pair{int64_t{0}, int64_t{1}}, std::pair{int64_t{14}, int64_t{2}}}) {
        CAPTURE(spct::config::to_string(aggregation), epochs, budget);
        check_same_training(budget_config(aggregation, 0, epochs),
                            budget_config(aggregation, budget, epochs, /*packing=*/false, /*share_prompts=*/true),
                            passes);
      }
    }
  }
}

TEST_CASE("the step reports the share of padded input cells and the passes it ran") {
  at::set_num_threads(1);
  const auto off = tiny_padding({});
  const auto on = tiny_padding({.max_tokens = 14});
  const auto packed = tiny_padding({.pack = true});
  REQUIRE(on.padded_tokens < off.padded_tokens);
  REQUIRE(packed.padded_tokens < off.padded_tokens);
  for (const auto& [tokens, packing, totals] :
       {std::tuple{int64_t{0}, false, off}, std::tuple{int64_t{14}, false, on}, std::tuple{int64_t{0}, true, packed}}) {
    CAPTURE(tokens, packing);
    const auto config = budget_config(spct::config::LossAggregation::kTokenMean, tokens, 1, packing);
    spct::models::Transformer policy(shape(config), 3);
    GrpoLearner learner(spct::learner::grpo_learner_options(config), policy, nullptr);
    const auto metrics = learner.step(spct::test::tiny_batch(), 0);
    const double expected =
        static_cast<double>(totals.padded_tokens - totals.real_tokens) / static_cast<double>(totals.padded_tokens);
    CHECK(metrics.at("learner/padding_share") == Approx(expected));
  }
}
