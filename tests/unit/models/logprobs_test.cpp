// Chunked teacher-forced log-probs and entropies (models/logprobs.h) and activation checkpointing
// (Transformer::set_activation_checkpointing): both recompute in backward, and both must give the values and
// the gradients of the plain computation. float32, tight tolerances.
#include "models/logprobs.h"

#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/allclose.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/ones.h>

#include <catch2/catch.hpp>

#include "models/lora.h"
#include "test_models.h"

using namespace spct::models;
using spct::models::testing::tiny_config;

namespace {

const testing::OneThread one_thread;

const std::vector<std::vector<int64_t>> kPrompts = {{3, 4, 5, 6}, {7, 8}, {9, 10, 11}};
const std::vector<std::vector<int64_t>> kCompletions = {{12, 13, 14, 15, 16}, {17}, {18, 19, 20}};

// Fixed, different weights per cell, so that every token's log-prob and entropy counts in the gradient.
at::Tensor cell_weights(const at::Tensor& like, double phase) {
  return (at::arange(like.numel(), at::TensorOptions().dtype(at::kFloat)) + phase).sin().view(like.sizes());
}

struct Result {
  at::Tensor logprobs, entropy;
  std::vector<at::Tensor> grads;
};

Result run(Transformer& model, const LogProbOptions& options) {
  for (const NamedTensor& p : model.trainable_parameters()) {
    at::Tensor parameter = p.tensor;
    parameter.mutable_grad() = at::Tensor();
  }
  const CompletionLogProbs lp = completion_logprobs(model, kPrompts, kCompletions, options);
  at::Tensor loss = (lp.logprobs * cell_weights(lp.logprobs, 0.5)).sum();
  if (options.entropy_grad) loss = loss + (lp.entropy * cell_weights(lp.entropy, 1.5)).sum();
  loss.backward();
  Result r{lp.logprobs.detach(), lp.entropy.detach(), {}};
  for (const NamedTensor& p : model.trainable_parameters()) r.grads.push_back(p.tensor.grad().clone());
  return r;
}

void check_same(const Result& a, const Result& b) {
  CHECK(at::allclose(a.logprobs, b.logprobs, 1e-6, 1e-6));
  CHECK(at::allclose(a.entropy, b.entropy, 1e-6, 1e-6));
  REQUIRE(a.grads.size() == b.grads.size());
  for (std::size_t i = 0; i < a.grads.size(); ++i) {
    CAPTURE(i);
    // Summation order differs between chunkings: float32 rounding, relative to the gradient's scale.
    const double scale = a.grads[i].abs().max().item<double>();
    const double diff = (a.grads[i] - b.grads[i]).abs().max().item<double>();
    CAPTURE(scale, diff);
    CHECK(diff <= 1e-5 * scale + 1e-7);
  }
}

}  // namespace

TEST_CASE("chunked log-probs and entropies equal the single-chunk ones, gradients included") {
  for (const bool tied : {true, false}) {
    CAPTURE(tied);
    ModelConfig config = tiny_config(Family::kQwen3);
    config.tie_embeddings = tied;
    Transformer model(config, 31);
    model.set_requires_grad(true);
    const Result whole = run(model, {.with_entropy = true, .entropy_grad = true, .chunk_tokens = 1000});
    for (const int64_t chunk : {1, 2, 4}) {  // 9 tokens: chunks that divide them unevenly, and one per token
      CAPTURE(chunk);
      check_same(whole, run(model, {.with_entropy = true, .entropy_grad = true, .chunk_tokens = chunk}));
    }
  }
}

TEST_CASE("chunked log-probs reach LoRA adapters on the head through the recomputation") {
  ModelConfig config = tiny_config(Family::kLlama);  // untied: lm_head can carry an adapter
  Transformer model(config, 32);
  attach_lora(model, {.rank = 2, .alpha = 4, .target_modules = {"lm_head", "q_proj"}}, 5);
  const Result whole = run(model, {.with_entropy = true, .entropy_grad = true, .chunk_tokens = 1000});
  check_same(whole, run(model, {.with_entropy = true, .entropy_grad = true, .chunk_tokens = 2}));
}

TEST_CASE("an entropy for the metric alone has the same values and records no graph") {
  Transformer model(tiny_config(Family::kQwen2), 33);
  model.set_requires_grad(true);
  for (const int64_t chunk : {2, 1000}) {
    CAPTURE(chunk);
    const CompletionLogProbs with_grad = completion_logprobs(
        model, kPrompts, kCompletions, {.with_entropy = true, .entropy_grad = true, .chunk_tokens = chunk});
    const CompletionLogProbs metric =
        completion_logprobs(model, kPrompts, kCompletions, {.with_entropy = true, .chunk_tokens = chunk});
    CHECK(with_grad.entropy.requires_grad());
    CHECK_FALSE(metric.entropy.requires_grad());
    CHECK(metric.logprobs.requires_grad());
    CHECK(at::allclose(metric.entropy, with_grad.entropy.detach(), 1e-6, 1e-6));
    // Padding cells are 0 and masked.
    CHECK(metric.entropy[1][1].item<float>() == 0.0F);
    CHECK_FALSE(metric.mask[1][1].item<bool>());
  }
  CHECK_THROWS_WITH(completion_logprobs(model, kPrompts, kCompletions, {.chunk_tokens = 0}),
                    Catch::Matchers::Contains("chunk_tokens"));
}

TEST_CASE("activation checkpointing gives the same outputs and gradients") {
  for (const auto& [family, moe] :
       {std::pair{Family::kQwen3, false}, std::pair{Family::kQwen3, true}, std::pair{Family::kGemma2, false}}) {
    CAPTURE(family_name(family), moe);
    Transformer model(tiny_config(family, moe), 34);
    model.set_requires_grad(true);
    const LogProbOptions options{.with_entropy = true, .entropy_grad = true, .chunk_tokens = 4};
    const Result plain = run(model, options);
    model.set_activation_checkpointing(true);
    const Result checkpointed = run(model, options);
    model.set_activation_checkpointing(false);
    check_same(plain, checkpointed);
  }
}

TEST_CASE("activation checkpointing keeps the MoE load-balancing loss differentiable") {
  Transformer model(tiny_config(Family::kQwen3, true), 35);
  model.set_requires_grad(true);
  const auto ids = at::arange(3, 9, at::TensorOptions().dtype(at::kLong)).view({2, 3});
  const auto positions = at::arange(3, at::TensorOptions().dtype(at::kLong)).repeat({2, 1});
  const auto mask = at::ones({2, 3}, at::TensorOptions().dtype(at::kBool));
  std::vector<at::Tensor> grads[2];
  double aux[2];
  for (const bool on : {false, true}) {
    model.set_activation_checkpointing(on);
    for (const NamedTensor& p : model.named_parameters()) {
      at::Tensor parameter = p.tensor;
      parameter.mutable_grad() = at::Tensor();
    }
    MoeStats stats;
    stats.collect_metrics = true;
    const at::Tensor hidden = model.hidden_states(ids, positions, mask, nullptr, &stats);
    REQUIRE(stats.aux_loss.defined());
    CHECK(stats.layers.size() == 2);
    aux[on] = stats.aux_loss.item<double>();
    (hidden.sum() + stats.aux_loss).backward();
    for (const NamedTensor& p : model.named_parameters()) grads[on].push_back(p.tensor.grad().clone());
  }
  CHECK(aux[0] == Approx(aux[1]).epsilon(1e-6));
  for (std::size_t i = 0; i < grads[0].size(); ++i) {
    CAPTURE(i);
    CHECK(at::allclose(grads[0][i], grads[1][i], 1e-5, 1e-7));
  }
}
