#include "models/transformer.h"

#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/abs.h>
#include <ATen/ops/allclose.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/log_softmax.h>
#include <ATen/ops/ones.h>
#include <ATen/ops/randint.h>
#include <ATen/ops/zeros.h>

#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "core/error.h"
#include "models/generation.h"
#include "test_models.h"

using namespace spct::models;
using spct::models::testing::tiny_config;

namespace {

const testing::OneThread one_thread;

std::map<std::string, std::vector<int64_t>> shapes(const Transformer& m) {
  std::map<std::string, std::vector<int64_t>> out;
  for (const NamedTensor& p : m.named_parameters()) out[p.name] = p.tensor.sizes().vec();
  return out;
}

at::Tensor ones_mask(int64_t b, int64_t t) {
  return at::ones({b, t}, at::TensorOptions().dtype(at::kBool));
}

at::Tensor positions(int64_t b, int64_t t) {
  return at::arange(t, at::TensorOptions().dtype(at::kLong)).unsqueeze(0).expand({b, t}).contiguous();
}

}  // namespace

TEST_CASE("Qwen2 parameter names and shapes follow Hugging Face") {
  const Transformer m(tiny_config(Family::kQwen2), 1);
  const auto s = shapes(m);
  using V = std::vector<int64_t>;
  CHECK(s.at("model.embed_tokens.weight") == V{97, 32});
  CHECK(s.at("model.layers.0.self_attn.q_proj.weight") == V{32, 32});
  CHECK(s.at("model.layers.0.self_attn.q_proj.bias") == V{32});
  CHECK(s.at("model.layers.0.self_attn.k_proj.weight") == V{16, 32});
  CHECK(s.at("model.layers.0.self_attn.k_proj.bias") == V{16});
  CHECK(s.at("model.layers.1.self_attn.v_proj.bias") == V{16});
  CHECK(s.at("model.layers.1.self_attn.o_proj.weight") == V{32, 32});
  CHECK(s.count("model.layers.1.self_attn.o_proj.bias") == 0);
  CHECK(s.at("model.layers.1.mlp.gate_proj.weight") == V{48, 32});
  CHECK(s.at("model.layers.1.mlp.up_proj.weight") == V{48, 32});
  CHECK(s.at("model.layers.1.mlp.down_proj.weight") == V{32, 48});
  CHECK(s.at("model.layers.1.input_layernorm.weight") == V{32});
  CHECK(s.at("model.layers.1.post_attention_layernorm.weight") == V{32});
  CHECK(s.at("model.norm.weight") == V{32});
  CHECK(s.count("lm_head.weight") == 0);  // tied
  CHECK(s.size() == 1 + 2 * 12 + 1);
  CHECK(m.named_parameters().front().name == "model.embed_tokens.weight");
}

TEST_CASE("Llama (untied) and Qwen3 (q/k norm) parameter names") {
  const auto llama = shapes(Transformer(tiny_config(Family::kLlama), 1));
  CHECK(llama.at("lm_head.weight") == std::vector<int64_t>{97, 32});
  CHECK(llama.count("model.layers.0.self_attn.q_proj.bias") == 0);
  CHECK(llama.count("model.layers.0.self_attn.q_norm.weight") == 0);
  const auto qwen3 = shapes(Transformer(tiny_config(Family::kQwen3), 1));
  CHECK(qwen3.at("model.layers.0.self_attn.q_norm.weight") == std::vector<int64_t>{8});
  CHECK(qwen3.at("model.layers.1.self_attn.k_norm.weight") == std::vector<int64_t>{8});
  CHECK(qwen3.count("model.layers.0.self_attn.q_proj.bias") == 0);
}

TEST_CASE("Qwen3-MoE parameter names") {
  const auto s = shapes(Transformer(tiny_config(Family::kQwen3, true), 1));
  CHECK(s.at("model.layers.0.mlp.gate.weight") == std::vector<int64_t>{4, 32});
  CHECK(s.at("model.layers.0.mlp.experts.3.gate_proj.weight") == std::vector<int64_t>{16, 32});
  CHECK(s.at("model.layers.1.mlp.experts.0.down_proj.weight") == std::vector<int64_t>{32, 16});
  CHECK(s.count("model.layers.0.mlp.gate_proj.weight") == 0);
  CHECK(s.count("model.layers.0.mlp.experts.4.up_proj.weight") == 0);
}

TEST_CASE("named parameters alias the model's storage") {
  Transformer m(tiny_config(Family::kQwen2), 1);
  const at::Tensor ids = at::randint(97, {1, 5}, at::TensorOptions().dtype(at::kLong));
  const at::Tensor before = m.forward(ids, positions(1, 5), ones_mask(1, 5));
  {
    at::NoGradGuard no_grad;
    m.named_parameters().back().tensor.fill_(2.0);  // model.norm.weight
  }
  const at::Tensor after = m.forward(ids, positions(1, 5), ones_mask(1, 5));
  CHECK_FALSE(at::allclose(before, after));
}

TEST_CASE("initialisation is deterministic in the seed") {
  const Transformer a(tiny_config(Family::kLlama), 7);
  const Transformer b(tiny_config(Family::kLlama), 7);
  const Transformer c(tiny_config(Family::kLlama), 8);
  const auto pa = a.named_parameters();
  const auto pb = b.named_parameters();
  const auto pc = c.named_parameters();
  for (size_t i = 0; i < pa.size(); ++i) CHECK(pa[i].tensor.equal(pb[i].tensor));
  CHECK_FALSE(pa[1].tensor.equal(pc[1].tensor));
  CHECK(pa[1].tensor.std().item<double>() == Approx(0.02).epsilon(0.2));
}

TEST_CASE("attention is causal: later tokens do not change earlier logits") {
  for (const Family family : {Family::kLlama, Family::kQwen2, Family::kQwen3, Family::kGemma2}) {
    const Transformer m(tiny_config(family), 3);
    const at::Tensor ids = at::randint(97, {2, 9}, at::TensorOptions().dtype(at::kLong));
    const at::Tensor full = m.forward(ids, positions(2, 9), ones_mask(2, 9));
    const at::Tensor prefix = m.forward(ids.narrow(1, 0, 5), positions(2, 5), ones_mask(2, 5));
    CHECK(at::allclose(full.narrow(1, 0, 5), prefix, 1e-5, 1e-5));
    CHECK_FALSE(at::allclose(full.narrow(1, 1, 4), full.narrow(1, 0, 4), 1e-3, 1e-3));
  }
}

TEST_CASE("left padding does not change a row's logits") {
  const Transformer m(tiny_config(Family::kQwen3, true), 4);
  const std::vector<int64_t> seq = {5, 9, 3, 77, 12, 6};
  const PaddedBatch alone = left_pad({seq}, at::kCPU);
  const PaddedBatch padded = left_pad({seq, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}}, at::kCPU);
  const at::Tensor a = m.forward(alone.input_ids, alone.position_ids, alone.attention_mask);
  const at::Tensor b = m.forward(padded.input_ids, padded.position_ids, padded.attention_mask);
  CHECK(at::allclose(a[0], b[0].narrow(0, 4, 6), 1e-5, 1e-5));
  CHECK_FALSE(b.isnan().any().item<bool>());
}

TEST_CASE("gradient reaches every parameter") {
  for (const auto& [family, moe] : {std::pair{Family::kLlama, false}, std::pair{Family::kQwen2, false},
                                    std::pair{Family::kQwen3, true}, std::pair{Family::kGemma2, false}}) {
    ModelConfig c = tiny_config(family, moe);
    c.o_bias = family == Family::kLlama;
    Transformer m(c, 5);
    m.set_requires_grad(true);
    CHECK(m.trainable_parameters().size() == m.named_parameters().size());
    const PaddedBatch batch = left_pad({{1, 2, 3, 4, 5, 6, 7, 8}, {9, 10, 11}}, at::kCPU);
    MoeStats stats;
    const at::Tensor logits = m.forward(batch.input_ids, batch.position_ids, batch.attention_mask, nullptr, &stats);
    at::Tensor loss = at::log_softmax(logits, -1).select(2, 3).mean();
    if (moe) {
      REQUIRE(stats.aux_loss.defined());
      loss = loss + stats.aux_loss;
    }
    loss.backward();
    for (const NamedTensor& p : m.trainable_parameters()) {
      INFO(p.name);
      REQUIRE(p.tensor.grad().defined());
      // Biases of q/k/v see gradient only through softmax differences and attention-weighted values; every
      // parameter's gradient must be non-zero somewhere.
      CHECK(p.tensor.grad().abs().sum().item<double>() > 0);
    }
  }
}

TEST_CASE("bfloat16 parameters run and stay close to float32, float16 needs a GPU") {
  ModelConfig c = tiny_config(Family::kQwen2);
  const Transformer reference(c, 9);
  const PaddedBatch batch = left_pad({{1, 2, 3, 4, 5}, {6, 7}}, at::kCPU);
  const at::Tensor expected =
      at::log_softmax(reference.forward(batch.input_ids, batch.position_ids, batch.attention_mask), -1);
  c.dtype = DType::kFloat16;
  CHECK_THROWS_WITH(Transformer(c, 9), Catch::Matchers::Contains("float16 parameters need a CUDA device"));
  for (const DType dtype : {DType::kBFloat16}) {
    c.dtype = dtype;
    const Transformer m(c, 9);
    CHECK(m.named_parameters()[0].tensor.scalar_type() == scalar_type(dtype));
    const at::Tensor logits = m.forward(batch.input_ids, batch.position_ids, batch.attention_mask);
    CHECK(logits.scalar_type() == scalar_type(dtype));
    const at::Tensor logp = at::log_softmax(logits.to(at::kFloat), -1);
    CHECK((logp - expected).masked_fill(batch.attention_mask.logical_not().unsqueeze(2), 0).abs().max().item<double>() <
          0.1);
  }
}

TEST_CASE("forward rejects bad inputs with a clear error") {
  const Transformer m(tiny_config(Family::kQwen2), 1);
  const at::Tensor ids = at::zeros({1, 3}, at::TensorOptions().dtype(at::kLong));
  CHECK_THROWS_WITH(m.forward(ids + 97, positions(1, 3), ones_mask(1, 3)),
                    Catch::Matchers::Contains("token id 97 outside the vocabulary"));
  CHECK_THROWS_WITH(m.forward(ids, positions(1, 2), ones_mask(1, 3)), Catch::Matchers::Contains("position_ids [1, 2]"));
  ModelConfig bad = tiny_config(Family::kQwen2);
  bad.num_kv_heads = 3;
  CHECK_THROWS_AS(Transformer(bad, 1), spct::InputError);
}

TEST_CASE("copy_parameters_from makes an identical model") {
  Transformer a(tiny_config(Family::kQwen3), 1);
  const Transformer b(tiny_config(Family::kQwen3), 2);
  a.copy_parameters_from(b);
  const auto pa = a.named_parameters();
  const auto pb = b.named_parameters();
  for (size_t i = 0; i < pa.size(); ++i) CHECK(pa[i].tensor.equal(pb[i].tensor));
  const Transformer other(tiny_config(Family::kLlama), 1);
  CHECK_THROWS_AS(a.copy_parameters_from(other), spct::InputError);
}

TEST_CASE("rotary frequencies with linear and Llama 3 scaling, by hand") {
  ModelConfig c = tiny_config(Family::kLlama);  // head_dim 8, theta 1e4: base frequencies 1, 0.1, 0.01, 0.001
  const auto freqs = [&] {
    const at::Tensor f = rope_inverse_frequencies(c, at::kCPU).to(at::kDouble);
    return std::vector<double>(f.data_ptr<double>(), f.data_ptr<double>() + f.numel());
  };
  std::vector<double> f = freqs();
  CHECK(f[0] == Approx(1.0));
  CHECK(f[3] == Approx(0.001));
  c.rope_scaling = {RopeScalingType::kLinear, 4.0};
  f = freqs();
  CHECK(f[1] == Approx(0.1 / 4));
  // Llama 3 with original context 64, low 1, high 4: wavelengths below 16 keep their frequency (f0, 2 pi),
  // above 64 are divided by 8 (f2, f3), and f1 (wavelength 20 pi) blends with smooth = (64 / (20 pi) - 1) / 3.
  c.rope_scaling = {RopeScalingType::kLlama3, 8.0, 1.0, 4.0, 64};
  f = freqs();
  const double smooth = (64.0 / (20.0 * 3.14159265358979) - 1.0) / 3.0;
  CHECK(f[0] == Approx(1.0));
  CHECK(f[1] == Approx((1 - smooth) * 0.1 / 8 + smooth * 0.1));
  CHECK(f[2] == Approx(0.01 / 8));
  CHECK(f[3] == Approx(0.001 / 8));
}
