#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/allclose.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/equal.h>
#include <ATen/ops/randn_like.h>
#include <ATen/ops/tensor.h>
#include <ATen/ops/zeros_like.h>

#include <catch2/catch.hpp>
#include <limits>

#include "core/error.h"
#include "models/generation.h"
#include "models/lora.h"
#include "models/scalar_head.h"
#include "test_models.h"

using namespace spct::models;
using spct::models::testing::tiny_config;

namespace {

const testing::OneThread one_thread;

const PaddedBatch& batch() {
  static const PaddedBatch b = left_pad({{3, 1, 4, 1, 5, 9, 2, 6}, {5, 3, 5}}, at::kCPU);
  return b;
}

at::Tensor logits(const Transformer& m) {
  return m.forward(batch().input_ids, batch().position_ids, batch().attention_mask);
}

}  // namespace

TEST_CASE("LoRA adapters are named the PEFT way and are the only trainable parameters") {
  Transformer m(tiny_config(Family::kQwen2), 1);
  const int64_t attached = attach_lora(m, {.rank = 4, .alpha = 8, .target_modules = {"q_proj", "v_proj"}}, 2);
  CHECK(attached == 4);  // 2 layers x 2 targets
  const std::vector<NamedTensor> adapters = m.adapter_parameters();
  REQUIRE(adapters.size() == 8);
  CHECK(adapters[0].name == "model.layers.0.self_attn.q_proj.lora_A.weight");
  CHECK(adapters[0].tensor.sizes().vec() == std::vector<int64_t>{4, 32});
  CHECK(adapters[1].name == "model.layers.0.self_attn.q_proj.lora_B.weight");
  CHECK(adapters[1].tensor.sizes().vec() == std::vector<int64_t>{32, 4});
  CHECK(adapters[3].name == "model.layers.0.self_attn.v_proj.lora_B.weight");
  for (const NamedTensor& p : m.named_parameters()) CHECK_FALSE(p.tensor.requires_grad());
  const std::vector<NamedTensor> trainable = m.trainable_parameters();
  CHECK(trainable.size() == 8);
  // Gradient flows to every adapter, and nothing accumulates on the frozen base.
  {
    at::NoGradGuard no_grad;
    for (const NamedTensor& p : adapters) p.tensor.copy_(at::randn_like(p.tensor) * 0.1);
  }
  logits(m).pow(2).mean().backward();
  for (const NamedTensor& p : trainable) {
    INFO(p.name);
    REQUIRE(p.tensor.grad().defined());
    CHECK(p.tensor.grad().abs().sum().item<double>() > 0);
  }
  for (const NamedTensor& p : m.named_parameters()) CHECK_FALSE(p.tensor.grad().defined());
}

TEST_CASE("a fresh adapter (B = 0) changes nothing and merged equals unmerged to float32 rounding") {
  Transformer m(tiny_config(Family::kLlama), 3);
  const at::Tensor base = logits(m);
  attach_lora(m, {.rank = 2, .alpha = 4, .target_modules = {"q_proj", "o_proj", "down_proj", "lm_head"}}, 4);
  // B = 0: the adapter's term is exactly 0, so the logits are bit-identical, not merely close.
  CHECK(at::equal(logits(m), base));
  {
    at::NoGradGuard no_grad;
    for (const NamedTensor& p : m.adapter_parameters()) p.tensor.copy_(at::randn_like(p.tensor) * 0.2);
  }
  const at::Tensor adapted = logits(m);
  CHECK_FALSE(at::allclose(adapted, base, 1e-3, 1e-3));
  CHECK(merge_lora(m) == 7);  // 2 layers x 3 + lm_head
  CHECK(m.adapter_parameters().empty());
  const at::Tensor merged = logits(m);
  INFO("max |merged - unmerged| " << (merged - adapted).abs().max().item<double>() << ", max |logit| "
                                  << adapted.abs().max().item<double>());
  // W + s*B*A rounds once per merged weight where the adapter path rounds its two products separately, and
  // the difference runs through every layer: CI saw 1.4e-6 at |logit| 2.7 (6 ulp). Allow 64 ulp of the largest
  // logit, which still fails any real mistake (a wrong scale or a missed module moves logits by ~0.1).
  const double ulps = 64 * std::numeric_limits<float>::epsilon() * adapted.abs().max().item<double>();
  CHECK((merged - adapted).abs().max().item<double>() <= ulps);
}

TEST_CASE("LoRA dropout draws masks in training passes only and passes without grad see no dropout") {
  Transformer m(tiny_config(Family::kQwen2), 6);
  attach_lora(m, {.rank = 4, .alpha = 8, .dropout = 0.5, .target_modules = {"q_proj", "v_proj", "up_proj"}}, 7);
  {
    at::NoGradGuard no_grad;
    for (const NamedTensor& p : m.adapter_parameters()) p.tensor.copy_(at::randn_like(p.tensor) * 0.3);
  }
  at::Tensor eval;
  {
    // Scoring and sampling (no grad): deterministic, and the same function as with dropout 0.
    at::NoGradGuard no_grad;
    eval = logits(m);
    CHECK(at::equal(logits(m), eval));
  }
  Transformer plain(tiny_config(Family::kQwen2), 6);
  attach_lora(plain, {.rank = 4, .alpha = 8, .dropout = 0.0, .target_modules = {"q_proj", "v_proj", "up_proj"}}, 7);
  {
    at::NoGradGuard no_grad;
    const std::vector<NamedTensor> from = m.adapter_parameters();
    const std::vector<NamedTensor> to = plain.adapter_parameters();
    for (std::size_t i = 0; i < from.size(); ++i) to[i].tensor.copy_(from[i].tensor);
    CHECK(at::equal(logits(plain), eval));
  }
  // Training passes (grad recorded) drop adapter inputs: they differ from the eval pass and from each other.
  const at::Tensor train_a = logits(m);
  const at::Tensor train_b = logits(m);
  CHECK_FALSE(at::allclose(train_a, eval, 1e-4, 1e-4));
  CHECK_FALSE(at::allclose(train_a, train_b, 1e-4, 1e-4));
  CHECK_THROWS_WITH(attach_lora(plain, {.dropout = 1.0}, 1), Catch::Matchers::Contains("dropout"));
}

TEST_CASE("LoRA settings read back from the model and target names for messages") {
  Transformer m(tiny_config(Family::kLlama), 1);  // untied: lm_head is a projection of its own
  CHECK_FALSE(lora_config_of(m).has_value());
  CHECK(lora_target_names(m) == std::vector<std::string>{"down_proj", "gate_proj", "k_proj", "lm_head", "o_proj",
                                                         "q_proj", "up_proj", "v_proj"});
  attach_lora(m, {.rank = 3, .alpha = 6, .dropout = 0.1, .target_modules = {"v_proj", "down_proj"}}, 1);
  const std::optional<LoraConfig> read = lora_config_of(m);
  REQUIRE(read.has_value());
  CHECK(read->rank == 3);
  CHECK(read->alpha == Approx(6));
  CHECK(read->dropout == Approx(0.1));
  CHECK(read->target_modules == std::vector<std::string>{"down_proj", "v_proj"});
}

TEST_CASE("LoRA rejects targets that match nothing and double attachment") {
  Transformer m(tiny_config(Family::kQwen3), 1);
  CHECK_THROWS_WITH(attach_lora(m, {.target_modules = {"qkv"}}, 1), Catch::Matchers::Contains("'qkv' matches no"));
  CHECK_THROWS_WITH(attach_lora(m, {.rank = 0}, 1), Catch::Matchers::Contains("rank"));
  attach_lora(m, {}, 1);
  CHECK_THROWS_WITH(attach_lora(m, {}, 1), Catch::Matchers::Contains("already has an adapter"));
}

TEST_CASE("scalar head: HF names, last real token, padding side does not matter") {
  ScalarHeadModel rm(tiny_config(Family::kQwen2), 5);
  const std::vector<NamedTensor> params = rm.named_parameters();
  CHECK(params.back().name == "score.weight");
  CHECK(params.back().tensor.sizes().vec() == std::vector<int64_t>{1, 32});
  for (const NamedTensor& p : params) CHECK(p.name != "lm_head.weight");

  const at::Tensor left = rm.score(batch().input_ids, batch().position_ids, batch().attention_mask);
  CHECK(left.sizes().vec() == std::vector<int64_t>{2});
  // The same two sequences right-padded.
  const at::Tensor ids = at::tensor(std::vector<int64_t>{3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 0, 0, 0, 0, 0}).view({2, 8});
  const at::Tensor pos = at::tensor(std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 0, 0, 0, 0, 0}).view({2, 8});
  const at::Tensor mask = (pos > 0) | (at::arange(8).view({1, 8}) == 0);
  const at::Tensor right = rm.score(ids, pos, mask);
  CHECK(at::allclose(left, right, 1e-5, 1e-5));
  // Changing the last real token changes the score; changing padding does not.
  const at::Tensor ids2 = ids.clone();
  ids2[1][2] = 7;
  CHECK_FALSE(at::allclose(rm.score(ids2, pos, mask), right, 1e-6, 1e-6));
  const at::Tensor ids3 = ids.clone();
  ids3[1][5] = 7;
  CHECK(at::allclose(rm.score(ids3, pos, mask), right, 1e-6, 1e-6));

  rm.set_requires_grad(true);
  rm.score(ids, pos, mask).sum().backward();
  for (const NamedTensor& p : rm.trainable_parameters()) {
    INFO(p.name);
    REQUIRE(p.tensor.grad().defined());
  }
  CHECK_THROWS_WITH(rm.score(ids, pos, mask & at::zeros_like(mask)), Catch::Matchers::Contains("no real token"));
}

TEST_CASE("projection names from the config are the built model's and targets are checked before building") {
  for (const auto& [family, moe] :
       {std::pair{Family::kLlama, false}, std::pair{Family::kQwen2, false}, std::pair{Family::kQwen3, true}}) {
    ModelConfig c = tiny_config(family, moe);
    if (moe) c.mlp_only_layers = {0};  // one dense, one sparse layer
    Transformer m(c, 1);
    std::vector<std::string> built;
    for (const NamedLinear& l : m.linears()) built.push_back(l.name);
    CHECK(projection_names(c) == built);
  }
  ModelConfig moe = tiny_config(Family::kQwen3, true);
  CHECK_NOTHROW(check_lora_targets(moe, {"q_proj", "mlp.experts.3.down_proj", "gate"}));
  CHECK_THROWS_WITH(check_lora_targets(moe, {"q_proj", "lm_head"}),
                    Catch::Matchers::Contains("'lm_head' matches no projection of the model (valid: down_proj, gate, "
                                              "gate_proj, k_proj, o_proj, q_proj, up_proj, v_proj)"));
  CHECK_THROWS_WITH(check_lora_targets(moe, {}), Catch::Matchers::Contains("target_modules is empty"));
}
