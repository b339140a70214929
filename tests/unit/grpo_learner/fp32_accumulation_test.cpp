// bf16 parameters, many micro-batches: each pass's bf16 gradient is added into a float32 gradient, so the sum keeps
// the low bits that adding in bf16 pass after pass would round away.
//
// The construction makes the exact sum known. A group of two completions, A and B, where B is truncated and the
// overlong filter removes it, so B's passes contribute exactly zero. With M copies of the group (M a power of
// two) and one completion per pass, every A pass's gradient is exactly G / M, where G is the gradient of the
// single group (the normaliser is M times larger, and scaling by a power of two commutes with rounding). So the M
// passes must add up to G; a bf16 running sum of M copies of G / M shows what accumulating in bf16 would give.
#include <ATen/Parallel.h>
#include <ATen/TensorOperators.h>
#include <ATen/ops/zeros_like.h>

#include <catch2/catch.hpp>
#include <cmath>

#include "learner/grpo_learner.h"
#include "learner/grpo_learner_options.h"
#include "models/model_config.h"
#include "tiny_learner.h"

using spct::learner::GrpoLearner;

namespace {

constexpr int64_t kCopies = 128;  // M

spct::learner::LearnerBatch groups(int64_t copies) {
  spct::learner::LearnerBatch b;
  b.group_size = 2;
  for (int64_t g = 0; g < copies; ++g) {
    b.prompts.push_back({1, 2});
    b.completions.push_back({6, 7, 8});
    b.rewards.push_back(1);
    b.truncated.push_back(false);
    b.prompts.push_back({1, 2});
    b.completions.push_back({9, 3, 4, 5});
    b.rewards.push_back(0);
    b.truncated.push_back(true);
  }
  return b;
}

spct::config::Config bf16_config() {
  spct::config::Config config = spct::test::tiny_learner_config();
  config.rollout.group_size = 2;
  config.model.dtype = spct::config::ModelDType::kBFloat16;
  config.grpo.beta = 0;
  config.grpo.loss_aggregation = spct::config::LossAggregation::kTokenMean;
  config.grpo.overlong_filter = true;
  config.grpo.micro_batch_size = 1;
  config.grpo.grad_clip = 0;  // the gradients are read after the step: no clipping may scale them
  return config;
}

// The gradients of every trainable parameter after one step on `copies` groups.
std::vector<at::Tensor> gradients(int64_t copies) {
  const spct::config::Config config = bf16_config();
  spct::models::Transformer policy(spct::models::from_section(config.model, spct::test::kTinyVocab), 5);
  GrpoLearner learner(spct::learner::grpo_learner_options(config), policy, nullptr);
  learner.step(groups(copies), 0);
  std::vector<at::Tensor> out;
  for (const auto& p : policy.trainable_parameters()) {
    REQUIRE(p.tensor.scalar_type() == at::kBFloat16);
    REQUIRE(p.tensor.grad().defined());
    out.push_back(p.tensor.grad().to(at::kDouble));
  }
  return out;
}

double squared(const at::Tensor& t) {
  return t.pow(2).sum().item<double>();
}

}  // namespace

TEST_CASE("bf16 gradients accumulate over micro-batches in float32") {
  at::set_num_threads(1);
  const std::vector<at::Tensor> single = gradients(1);  // G: the exact sum of the M passes below
  const std::vector<at::Tensor> accumulated = gradients(kCopies);
  double reference = 0, fp32_error = 0, bf16_error = 0;
  for (std::size_t i = 0; i < single.size(); ++i) {
    // What adding the M passes in bf16 gives: a bf16 running sum of G / M (exact in bf16: a power-of-two scale).
    const at::Tensor pass = single[i].div(static_cast<double>(kCopies)).to(at::kBFloat16);
    at::Tensor bf16_sum = at::zeros_like(pass);
    for (int64_t k = 0; k < kCopies; ++k) bf16_sum = bf16_sum.add(pass);
    reference += squared(single[i]);
    fp32_error += squared(accumulated[i] - single[i]);
    bf16_error += squared(bf16_sum.to(at::kDouble) - single[i]);
  }
  REQUIRE(reference > 0);
  const double fp32_relative = std::sqrt(fp32_error / reference);
  const double bf16_relative = std::sqrt(bf16_error / reference);
  // Float32 accumulation of M terms errs by at most M units of float32 roundoff (2^-24) of the sum, relative.
  const double fp32_bound = static_cast<double>(kCopies) * std::ldexp(1.0, -24);
  // bf16's unit roundoff: a bf16 gradient cannot hold the sum more closely than that in general.
  const double bf16_unit = std::ldexp(1.0, -9);
  INFO("relative error: float32 accumulation " << fp32_relative << ", bf16 accumulation " << bf16_relative);
  CHECK(fp32_relative <= fp32_bound);
  CHECK(fp32_relative < bf16_unit / 64);
  // The case is one where bf16 accumulation does lose bits (else the check above proves nothing).
  CHECK(bf16_relative > bf16_unit / 4);
}
