// The model's attention (at::scaled_dot_product_attention) against attention written out in the test: K/V
// heads repeated for grouped queries, scores q k^T / sqrt(d) with masked slots at -1e9, a float32 softmax,
// probabilities times values. Whole models are rebuilt from their named parameters, so the mask construction
// (causal, left padding, KV-cache slots) is checked along with the kernel.
#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/allclose.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/embedding.h>
#include <ATen/ops/matmul.h>
#include <ATen/ops/ones.h>
#include <ATen/ops/silu.h>
#include <ATen/ops/softmax.h>
#include <ATen/ops/tensor.h>
#include <ATen/ops/where.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <string>

#include "models/generation.h"
#include "models/layers.h"
#include "models/transformer.h"
#include "test_models.h"

using namespace spct::models;
using spct::models::testing::tiny_config;

namespace {

const testing::OneThread one_thread;

// Final hidden states of a dense model, from its named parameters, over a whole left-padded batch.
at::Tensor reference_hidden(const Transformer& model, const PaddedBatch& batch) {
  const ModelConfig& c = model.config();
  std::map<std::string, at::Tensor> w;
  for (const NamedTensor& p : model.named_parameters()) w[p.name] = p.tensor;
  const auto linear = [&](const std::string& name, const at::Tensor& x) {
    Linear l;
    l.weight = w.at(name + ".weight");
    if (w.count(name + ".bias") != 0) l.bias = w.at(name + ".bias");
    return l.forward(x);
  };
  const int64_t b = batch.input_ids.size(0), t = batch.input_ids.size(1), d = c.head_dim;
  // The rotary embedding as Hugging Face writes it: both halves of head_dim share the angles, and
  // rotate_half(x) = cat(-x[d/2:], x[:d/2]).
  const at::Tensor angles = batch.position_ids.to(at::kFloat).unsqueeze(-1) * rope_inverse_frequencies(c, at::kCPU);
  const at::Tensor emb = at::cat({angles, angles}, -1).unsqueeze(1);
  const at::Tensor cos = emb.cos().to(model.dtype());
  const at::Tensor sin = emb.sin().to(model.dtype());
  const auto rope = [&](const at::Tensor& x) {
    return x * cos + at::cat({-x.narrow(-1, d / 2, d / 2), x.narrow(-1, 0, d / 2)}, -1) * sin;
  };
  const at::Tensor slots = at::arange(t, at::TensorOptions().dtype(at::kLong));
  // [B, 1, T, S]: causal, real keys only; a padding query (all masked) sees a uniform mix, as the old path did.
  const at::Tensor allowed =
      (slots.unsqueeze(0) <= slots.unsqueeze(1)).unsqueeze(0).logical_and(batch.attention_mask.unsqueeze(1));
  const at::Tensor bias = at::where(allowed, 0.0, -1e9).unsqueeze(1);
  at::Tensor x = at::embedding(w.at("model.embed_tokens.weight"), batch.input_ids);
  for (int64_t i = 0; i < c.num_layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    const at::Tensor h = rms_norm(x, w.at(p + "input_layernorm.weight"), c.rms_norm_eps);
    at::Tensor q = linear(p + "self_attn.q_proj", h).view({b, t, c.num_heads, d});
    at::Tensor k = linear(p + "self_attn.k_proj", h).view({b, t, c.num_kv_heads, d});
    at::Tensor v = linear(p + "self_attn.v_proj", h).view({b, t, c.num_kv_heads, d}).transpose(1, 2);
    if (c.qk_norm) {
      q = rms_norm(q, w.at(p + "self_attn.q_norm.weight"), c.rms_norm_eps);
      k = rms_norm(k, w.at(p + "self_attn.k_norm.weight"), c.rms_norm_eps);
    }
    q = rope(q.transpose(1, 2));
    k = rope(k.transpose(1, 2));
    const int64_t group = c.num_heads / c.num_kv_heads;
    k = k.repeat_interleave(group, 1);
    v = v.repeat_interleave(group, 1);
    const at::Tensor scores = at::matmul(q, k.transpose(2, 3)).to(at::kFloat) / std::sqrt(static_cast<double>(d));
    const at::Tensor probs = at::softmax(scores + bias, -1).to(v.scalar_type());
    const at::Tensor context = at::matmul(probs, v).transpose(1, 2).reshape({b, t, c.num_heads * d});
    x = x + linear(p + "self_attn.o_proj", context);
    const at::Tensor n = rms_norm(x, w.at(p + "post_attention_layernorm.weight"), c.rms_norm_eps);
    x = x + linear(p + "mlp.down_proj", at::silu(linear(p + "mlp.gate_proj", n)) * linear(p + "mlp.up_proj", n));
  }
  return rms_norm(x, w.at("model.norm.weight"), c.rms_norm_eps);
}

const std::vector<std::vector<int64_t>> kSequences = {{5, 6, 7, 8, 9, 10, 11}, {12, 13, 14}, {15, 16, 17, 18, 19}};

}  // namespace

TEST_CASE("SDPA attention equals the written-out attention, with padding and grouped heads") {
  const at::NoGradGuard no_grad;
  for (const Family family : {Family::kQwen2, Family::kQwen3, Family::kLlama}) {
    CAPTURE(static_cast<int>(family));
    const Transformer model(tiny_config(family), 21);
    const PaddedBatch batch = left_pad(kSequences, at::kCPU);
    const at::Tensor got = model.hidden_states(batch.input_ids, batch.position_ids, batch.attention_mask);
    const at::Tensor want = reference_hidden(model, batch);
    // Only real tokens: a padding query's output is unspecified.
    const at::Tensor real = batch.attention_mask.unsqueeze(2);
    CHECK(at::allclose(got.masked_fill(real.logical_not(), 0), want.masked_fill(real.logical_not(), 0), 1e-5, 1e-5));
  }
}

namespace {

// Prefills all but the last two tokens of each of kSequences, then decodes them one at a time; returns the
// last step's hidden states [3, hidden].
at::Tensor decode_last_two(const Transformer& model) {
  std::vector<std::vector<int64_t>> prefixes;
  for (const auto& s : kSequences) prefixes.emplace_back(s.begin(), s.end() - 2);
  const PaddedBatch prefill = left_pad(prefixes, at::kCPU);
  KvCache cache = model.make_cache(3, prefill.input_ids.size(1) + 2);
  model.hidden_states(prefill.input_ids, prefill.position_ids, prefill.attention_mask, &cache);
  at::Tensor last;
  for (int step = 2; step >= 1; --step) {
    std::vector<int64_t> ids, positions;
    for (const auto& s : kSequences) {
      ids.push_back(s[s.size() - static_cast<std::size_t>(step)]);
      positions.push_back(static_cast<int64_t>(s.size()) - step);
    }
    const auto opts = at::TensorOptions().dtype(at::kLong);
    last = model.hidden_states(at::tensor(ids, opts).unsqueeze(1), at::tensor(positions, opts).unsqueeze(1),
                               at::ones({3, 1}, at::TensorOptions().dtype(at::kBool)), &cache);
  }
  return last.select(1, 0);
}

}  // namespace

TEST_CASE("a float32 decode step over a KV cache equals the written-out attention over the whole sequence") {
  const at::NoGradGuard no_grad;
  const Transformer model(tiny_config(Family::kQwen3), 22);
  const at::Tensor want = reference_hidden(model, left_pad(kSequences, at::kCPU)).select(1, -1);
  CHECK(at::allclose(decode_last_two(model), want, 1e-5, 1e-5));
}

TEST_CASE(
    "a bfloat16 decode step (attention written out on the CPU) equals the fused attention over the whole "
    "sequence to bfloat16 rounding") {
  const at::NoGradGuard no_grad;
  for (const Family family : {Family::kQwen2, Family::kQwen3}) {
    CAPTURE(static_cast<int>(family));
    ModelConfig c = tiny_config(family);
    c.dtype = DType::kBFloat16;
    const Transformer model(c, 24);
    const PaddedBatch whole = left_pad(kSequences, at::kCPU);
    const at::Tensor want =
        model.hidden_states(whole.input_ids, whole.position_ids, whole.attention_mask).select(1, -1).to(at::kFloat);
    const at::Tensor got = decode_last_two(model).to(at::kFloat);
    // bfloat16 keeps 8 bits: a few units of the last place of values of magnitude ~1. A wrong mask (a padding
    // slot attended, a key missed) moves these hidden states by tenths.
    const double scale = want.abs().max().item<double>();
    CHECK((got - want).abs().max().item<double>() <= 0.03 * scale);
  }
}

TEST_CASE("SDPA attention is differentiable and its gradient matches the written-out attention's") {
  Transformer model(tiny_config(Family::kQwen2), 23);
  model.set_requires_grad(true);
  const PaddedBatch batch = left_pad(kSequences, at::kCPU);
  const at::Tensor real = batch.attention_mask.unsqueeze(2);
  const at::Tensor weights = at::arange(32, at::TensorOptions().dtype(at::kFloat)).sin();
  const auto loss_of = [&](const at::Tensor& hidden) {
    return (hidden.masked_fill(real.logical_not(), 0) * weights).sum();
  };
  loss_of(model.hidden_states(batch.input_ids, batch.position_ids, batch.attention_mask)).backward();
  std::vector<at::Tensor> sdpa;
  for (const NamedTensor& p : model.named_parameters()) {
    sdpa.push_back(p.tensor.grad().clone());
    at::Tensor parameter = p.tensor;
    parameter.mutable_grad() = at::Tensor();
  }
  loss_of(reference_hidden(model, batch)).backward();
  const auto params = model.named_parameters();
  for (std::size_t i = 0; i < params.size(); ++i) {
    CAPTURE(params[i].name);
    // float32 rounding of differently ordered sums, relative to the gradient's scale.
    const double scale = params[i].tensor.grad().abs().max().item<double>();
    const double diff = (sdpa[i] - params[i].tensor.grad()).abs().max().item<double>();
    CAPTURE(scale, diff);
    CHECK(diff <= 1e-5 * scale + 1e-7);
  }
}
