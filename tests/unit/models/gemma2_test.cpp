// Gemma 2's parts of the transformer, by behaviour: its parameter layout, the sliding window (prefill, left
// padding, KV-cache decode), the final logit soft cap. Agreement with transformers' own Gemma2ForCausalLM, in
// float32 and bfloat16, is tests/unit/model_io/hf_reference_test.cpp's.
#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/abs.h>
#include <ATen/ops/allclose.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/full.h>
#include <ATen/ops/ones.h>
#include <ATen/ops/tanh.h>
#include <ATen/ops/tensor.h>

#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "models/generation.h"
#include "models/transformer.h"
#include "test_models.h"

using namespace spct::models;
using spct::models::testing::tiny_config;

namespace {

const testing::OneThread one_thread;

at::Tensor ids_tensor(std::vector<int64_t> ids) {
  const auto n = static_cast<int64_t>(ids.size());
  return at::tensor(ids, at::TensorOptions().dtype(at::kLong)).view({1, n});
}

at::Tensor logits_of(const Transformer& m, const std::vector<int64_t>& ids) {
  const auto n = static_cast<int64_t>(ids.size());
  const auto long_options = at::TensorOptions().dtype(at::kLong);
  return m.forward(ids_tensor(ids), at::arange(n, long_options).unsqueeze(0),
                   at::ones({1, n}, at::TensorOptions().dtype(at::kBool)))[0];
}

// A one-layer Gemma 2 whose layer slides (window 3) or sees everything.
ModelConfig one_layer(bool sliding) {
  ModelConfig c = tiny_config(Family::kGemma2);
  c.num_layers = 1;
  c.sliding_window = 3;
  c.sliding_window_layers = sliding ? std::vector<int64_t>{0} : std::vector<int64_t>{};
  return c;
}

// Norm weights of a fresh Gemma model are 0 (the identity scale); nonzero values make the norms observable.
void perturb_norms(Transformer& m) {
  at::NoGradGuard no_grad;
  double value = 0.1;
  for (const NamedTensor& p : m.named_parameters()) {
    if (p.name.find("norm") != std::string::npos) p.tensor.fill_(value += 0.05);
  }
}

}  // namespace

TEST_CASE("Gemma 2 parameters are named and ordered as transformers names them") {
  const Transformer m(tiny_config(Family::kGemma2), 1);
  std::vector<std::string> layer0;
  std::map<std::string, at::Tensor> by_name;
  for (const NamedTensor& p : m.named_parameters()) {
    by_name[p.name] = p.tensor;
    if (p.name.rfind("model.layers.0.", 0) == 0) layer0.push_back(p.name.substr(15));
  }
  CHECK(layer0 == std::vector<std::string>{"self_attn.q_proj.weight", "self_attn.k_proj.weight",
                                           "self_attn.v_proj.weight", "self_attn.o_proj.weight", "mlp.gate_proj.weight",
                                           "mlp.up_proj.weight", "mlp.down_proj.weight", "input_layernorm.weight",
                                           "post_attention_layernorm.weight", "pre_feedforward_layernorm.weight",
                                           "post_feedforward_layernorm.weight"});
  CHECK(by_name.count("lm_head.weight") == 0);  // tied, as Gemma 2 is by default
  // Gemma's norms scale by (1 + weight): a fresh model's identity scale is a zero weight.
  CHECK(by_name.at("model.layers.1.pre_feedforward_layernorm.weight").abs().max().item<double>() == 0.0);
  CHECK(by_name.at("model.norm.weight").abs().max().item<double>() == 0.0);
}

TEST_CASE("a sliding layer sees only the last sliding_window tokens") {
  Transformer sliding(one_layer(true), 2);
  Transformer full(one_layer(false), 2);
  perturb_norms(sliding);
  perturb_norms(full);
  const std::vector<int64_t> a = {11, 22, 33, 44, 55, 66, 77, 88};
  std::vector<int64_t> b = a;
  b[0] = 90;  // only the first token differs
  const at::Tensor sa = logits_of(sliding, a);
  const at::Tensor sb = logits_of(sliding, b);
  // Position 2 still sees token 0 (window 3: itself and the two before); positions 3... do not.
  CHECK_FALSE(at::allclose(sa[2], sb[2], 1e-4, 1e-4));
  CHECK(at::allclose(sa.narrow(0, 3, 5), sb.narrow(0, 3, 5), 0, 0));
  // Without the window every later position sees token 0.
  CHECK_FALSE(at::allclose(logits_of(full, a)[7], logits_of(full, b)[7], 1e-4, 1e-4));
}

TEST_CASE("the window counts tokens, not padding, and holds in KV-cache decoding") {
  Transformer m(tiny_config(Family::kGemma2), 3);
  perturb_norms(m);
  const std::vector<int64_t> seq = {5, 9, 3, 77, 12, 6, 40, 41};
  const PaddedBatch alone = left_pad({seq}, at::kCPU);
  const PaddedBatch padded = left_pad({seq, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}}, at::kCPU);
  const at::Tensor a = m.forward(alone.input_ids, alone.position_ids, alone.attention_mask);
  const at::Tensor b = m.forward(padded.input_ids, padded.position_ids, padded.attention_mask);
  CHECK(at::allclose(a[0], b[0].narrow(0, 5, 8), 1e-5, 1e-5));

  // Token by token through a cache (the window slides over cached slots) equals one pass over the whole row.
  KvCache cache = m.make_cache(1, 8);
  const at::Tensor one = at::ones({1, 1}, at::TensorOptions().dtype(at::kBool));
  for (int64_t i = 0; i < 8; ++i) {
    const at::Tensor step =
        m.forward(ids_tensor({seq[static_cast<size_t>(i)]}), at::full({1, 1}, i, at::kLong), one, &cache);
    INFO("position " << i);
    CHECK(at::allclose(step[0][0], a[0][i], 1e-5, 1e-5));
  }
}

TEST_CASE("final logits are soft-capped: cap * tanh(logits / cap)") {
  ModelConfig capped_config = tiny_config(Family::kGemma2);
  ModelConfig plain_config = capped_config;
  plain_config.final_logit_softcapping = 0;
  Transformer capped(capped_config, 4);
  Transformer plain(plain_config, 4);  // same seed, same parameters
  for (Transformer* m : {&capped, &plain}) {
    // A larger (tied) embedding makes logits of several units, where tanh bends.
    at::NoGradGuard no_grad;
    m->named_parameters().front().tensor.mul_(50.0);
  }
  const std::vector<int64_t> ids = {3, 1, 4, 1, 5, 9, 2, 6};
  const at::Tensor c = logits_of(capped, ids);
  const at::Tensor p = logits_of(plain, ids);
  REQUIRE(p.abs().max().item<double>() > 5.0);
  CHECK(at::allclose(c, at::tanh(p / 5.0) * 5.0, 1e-5, 1e-5));
  CHECK(c.abs().max().item<double>() < 5.0);
}
