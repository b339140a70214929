#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/allclose.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/randn_like.h>
#include <ATen/ops/tensor.h>
#include <ATen/ops/zeros_like.h>

#include <catch2/catch.hpp>

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

TEST_CASE("a fresh adapter changes nothing; merged equals unmerged") {
  Transformer m(tiny_config(Family::kLlama), 3);
  const at::Tensor base = logits(m);
  attach_lora(m, {.rank = 2, .alpha = 4, .target_modules = {"q_proj", "o_proj", "down_proj", "lm_head"}}, 4);
  CHECK(at::allclose(logits(m), base, 1e-6, 1e-6));
  {
    at::NoGradGuard no_grad;
    for (const NamedTensor& p : m.adapter_parameters()) p.tensor.copy_(at::randn_like(p.tensor) * 0.2);
  }
  const at::Tensor adapted = logits(m);
  CHECK_FALSE(at::allclose(adapted, base, 1e-3, 1e-3));
  CHECK(merge_lora(m) == 7);  // 2 layers x 3 + lm_head
  CHECK(m.adapter_parameters().empty());
  CHECK(at::allclose(logits(m), adapted, 1e-4, 1e-4));
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
