#include "models/transformer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/aminmax.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/embedding.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/randn.h>
#include <ATen/ops/scalar_tensor.h>

#include <cmath>
#include <string>

#include "core/error.h"
#include "models/recompute.h"

namespace spct::models {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

const ModelConfig& validated(const ModelConfig& config) {
  validate(config);
  return config;
}

std::string shape_str(const at::Tensor& t) {
  std::string s = "[";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
  return s + "]";
}

}  // namespace

at::ScalarType scalar_type(DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return at::kFloat;
    case DType::kBFloat16: return at::kBFloat16;
    case DType::kFloat16: return at::kHalf;
  }
  return at::kFloat;
}

Transformer::Transformer(const ModelConfig& config, uint64_t seed, at::Device device, Head head)
    : config_(validated(config)), device_(device), dtype_(scalar_type(config.dtype)), head_(head) {
  if (dtype_ == at::kHalf && device_.is_cpu()) {
    throw InputError(
        "transformer: float16 parameters need a CUDA device (LibTorch's CPU matmul has no float16 kernel); use "
        "bfloat16 or float32 on the CPU");
  }
  build(seed);
}

void Transformer::build(uint64_t seed) {
  const ModelConfig& c = config_;
  const auto options = at::TensorOptions().dtype(dtype_).device(device_);
  const auto matrix = [&](int64_t rows, int64_t cols) { return at::empty({rows, cols}, options); };
  const auto vector = [&](int64_t n) { return at::empty({n}, options); };
  const auto linear = [&](int64_t out, int64_t in, bool bias) {
    Linear l;
    l.weight = matrix(out, in);
    if (bias) l.bias = vector(out);
    return l;
  };
  const bool gemma = c.family == Family::kGemma2;
  const GateActivation activation = gemma ? GateActivation::kGeluTanh : GateActivation::kSilu;
  const auto swiglu = [&](int64_t intermediate) {
    SwiGluMlp mlp;
    mlp.gate_proj = linear(intermediate, c.hidden_size, false);
    mlp.up_proj = linear(intermediate, c.hidden_size, false);
    mlp.down_proj = linear(c.hidden_size, intermediate, false);
    mlp.activation = activation;
    return mlp;
  };

  embed_tokens_ = matrix(c.vocab_size, c.hidden_size);
  for (int64_t i = 0; i < c.num_layers; ++i) {
    DecoderLayer layer;
    layer.index = i;
    layer.num_heads = c.num_heads;
    layer.num_kv_heads = c.num_kv_heads;
    layer.head_dim = c.head_dim;
    layer.eps = c.rms_norm_eps;
    layer.input_layernorm = vector(c.hidden_size);
    layer.q_proj = linear(c.num_heads * c.head_dim, c.hidden_size, c.qkv_bias);
    layer.k_proj = linear(c.num_kv_heads * c.head_dim, c.hidden_size, c.qkv_bias);
    layer.v_proj = linear(c.num_kv_heads * c.head_dim, c.hidden_size, c.qkv_bias);
    layer.o_proj = linear(c.hidden_size, c.num_heads * c.head_dim, c.o_bias);
    if (c.qk_norm) {
      layer.q_norm = vector(c.head_dim);
      layer.k_norm = vector(c.head_dim);
    }
    layer.post_attention_layernorm = vector(c.hidden_size);
    if (gemma) {
      layer.unit_offset_norms = true;
      layer.pre_feedforward_layernorm = vector(c.hidden_size);
      layer.post_feedforward_layernorm = vector(c.hidden_size);
      layer.sliding = c.is_sliding_layer(i);
      layer.eager_attention = true;
    }
    if (c.query_pre_attn_scalar > 0) layer.attention_scale = 1.0 / std::sqrt(c.query_pre_attn_scalar);
    layer.attn_logit_softcapping = c.attn_logit_softcapping;
    if (c.is_moe_layer(i)) {
      SparseMoe moe;
      moe.gate = linear(c.num_experts, c.hidden_size, false);
      for (int64_t e = 0; e < c.num_experts; ++e) moe.experts.push_back(swiglu(c.moe_intermediate_size));
      moe.top_k = c.experts_per_token;
      moe.norm_topk_prob = c.norm_topk_prob;
      layer.moe = std::move(moe);
    } else {
      layer.mlp = swiglu(c.intermediate_size);
    }
    layers_.push_back(std::move(layer));
  }
  norm_ = vector(c.hidden_size);
  if (head_ == Head::kLanguageModel) {
    lm_head_.weight = c.tie_embeddings ? embed_tokens_ : matrix(c.vocab_size, c.hidden_size);
  }
  inv_freq_ = rope_inverse_frequencies(c, device_);
  if (gemma) {
    // transformers multiplies by sqrt(hidden_size) cast to the parameters' dtype: in bfloat16 a rounded factor.
    embed_scale_ =
        at::scalar_tensor(std::sqrt(static_cast<double>(c.hidden_size)), at::kFloat).to(dtype_).item<double>();
  }

  // Values are drawn on the CPU in float32 from one generator, in name order, so a seed gives the same model
  // on every device and in every dtype (up to rounding). Norms start as the identity scale: weight 1, or 0 where
  // they scale by (1 + weight).
  at::NoGradGuard no_grad;
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  for_each_parameter([&](const std::string& name, const at::Tensor& t) {
    if (ends_with(name, "norm.weight")) {
      t.fill_(gemma ? 0.0 : 1.0);
    } else if (ends_with(name, ".bias")) {
      t.zero_();
    } else {
      t.copy_(at::randn(t.sizes(), gen, at::TensorOptions().dtype(at::kFloat)) * 0.02);
    }
  });
}

template <typename Fn>
void Transformer::for_each_parameter(Fn&& fn) const {
  const auto linear = [&](const std::string& prefix, const Linear& l) {
    fn(prefix + ".weight", l.weight);
    if (l.bias.defined()) fn(prefix + ".bias", l.bias);
  };
  const auto swiglu = [&](const std::string& prefix, const SwiGluMlp& m) {
    linear(prefix + ".gate_proj", m.gate_proj);
    linear(prefix + ".up_proj", m.up_proj);
    linear(prefix + ".down_proj", m.down_proj);
  };
  fn("model.embed_tokens.weight", embed_tokens_);
  for (const DecoderLayer& layer : layers_) {
    const std::string p = "model.layers." + std::to_string(layer.index) + ".";
    linear(p + "self_attn.q_proj", layer.q_proj);
    linear(p + "self_attn.k_proj", layer.k_proj);
    linear(p + "self_attn.v_proj", layer.v_proj);
    linear(p + "self_attn.o_proj", layer.o_proj);
    if (layer.q_norm.defined()) {
      fn(p + "self_attn.q_norm.weight", layer.q_norm);
      fn(p + "self_attn.k_norm.weight", layer.k_norm);
    }
    if (layer.moe) {
      linear(p + "mlp.gate", layer.moe->gate);
      for (size_t e = 0; e < layer.moe->experts.size(); ++e) {
        swiglu(p + "mlp.experts." + std::to_string(e), layer.moe->experts[e]);
      }
    } else {
      swiglu(p + "mlp", layer.mlp);
    }
    fn(p + "input_layernorm.weight", layer.input_layernorm);
    fn(p + "post_attention_layernorm.weight", layer.post_attention_layernorm);
    if (layer.pre_feedforward_layernorm.defined()) {
      fn(p + "pre_feedforward_layernorm.weight", layer.pre_feedforward_layernorm);
      fn(p + "post_feedforward_layernorm.weight", layer.post_feedforward_layernorm);
    }
  }
  fn("model.norm.weight", norm_);
  if (head_ == Head::kLanguageModel && !config_.tie_embeddings) fn("lm_head.weight", lm_head_.weight);
}

std::vector<NamedTensor> Transformer::named_parameters() const {
  std::vector<NamedTensor> out;
  for_each_parameter([&](const std::string& name, const at::Tensor& t) { out.push_back({name, t}); });
  return out;
}

std::vector<NamedLinear> Transformer::linears() {
  std::vector<NamedLinear> out;
  const auto swiglu = [&](const std::string& prefix, SwiGluMlp& m) {
    out.push_back({prefix + ".gate_proj", &m.gate_proj});
    out.push_back({prefix + ".up_proj", &m.up_proj});
    out.push_back({prefix + ".down_proj", &m.down_proj});
  };
  for (DecoderLayer& layer : layers_) {
    const std::string p = "model.layers." + std::to_string(layer.index) + ".";
    out.push_back({p + "self_attn.q_proj", &layer.q_proj});
    out.push_back({p + "self_attn.k_proj", &layer.k_proj});
    out.push_back({p + "self_attn.v_proj", &layer.v_proj});
    out.push_back({p + "self_attn.o_proj", &layer.o_proj});
    if (layer.moe) {
      out.push_back({p + "mlp.gate", &layer.moe->gate});
      for (size_t e = 0; e < layer.moe->experts.size(); ++e) {
        swiglu(p + "mlp.experts." + std::to_string(e), layer.moe->experts[e]);
      }
    } else {
      swiglu(p + "mlp", layer.mlp);
    }
  }
  if (head_ == Head::kLanguageModel && !config_.tie_embeddings) out.push_back({"lm_head", &lm_head_});
  return out;
}

std::vector<NamedTensor> Transformer::adapter_parameters() const {
  std::vector<NamedTensor> out;
  // linears() hands out mutable pointers; reading adapters through them does not modify the model.
  for (const NamedLinear& l : const_cast<Transformer*>(this)->linears()) {
    if (!l.linear->has_adapter()) continue;
    out.push_back({l.name + ".lora_A.weight", l.linear->lora_a});
    out.push_back({l.name + ".lora_B.weight", l.linear->lora_b});
  }
  return out;
}

std::vector<NamedTensor> Transformer::trainable_parameters() const {
  std::vector<NamedTensor> out;
  for (NamedTensor& p : named_parameters()) {
    if (p.tensor.requires_grad()) out.push_back(std::move(p));
  }
  for (NamedTensor& p : adapter_parameters()) {
    if (p.tensor.requires_grad()) out.push_back(std::move(p));
  }
  return out;
}

void Transformer::set_requires_grad(bool requires_grad) {
  for_each_parameter([&](const std::string&, const at::Tensor& t) { t.requires_grad_(requires_grad); });
}

at::Tensor Transformer::checked_ids(const at::Tensor& input_ids) const {
  const at::Tensor ids = input_ids.to(device_, at::kLong);
  if (ids.numel() > 0) {
    // Checked on the host copy when the caller built the ids there: reading a device tensor's range would stall
    // the device queue.
    const auto [min_id, max_id] = at::aminmax(input_ids.is_cpu() ? input_ids.to(at::kLong) : ids);
    const int64_t lo = min_id.item<int64_t>();
    const int64_t hi = max_id.item<int64_t>();
    if (lo < 0 || hi >= config_.vocab_size) {
      throw InputError("transformer: token id " + std::to_string(lo < 0 ? lo : hi) + " outside the vocabulary [0, " +
                       std::to_string(config_.vocab_size) + ")");
    }
  }
  return ids;
}

at::Tensor Transformer::hidden_states(const at::Tensor& input_ids, const at::Tensor& position_ids,
                                      const at::Tensor& attention_mask, KvCache* cache, MoeStats* moe) const {
  if (input_ids.dim() != 2 || !position_ids.sizes().equals(input_ids.sizes()) ||
      !attention_mask.sizes().equals(input_ids.sizes())) {
    throw InputError("transformer: input_ids " + shape_str(input_ids) + ", position_ids " + shape_str(position_ids) +
                     " and attention_mask " + shape_str(attention_mask) + " must all be [batch, tokens]");
  }
  const at::Tensor ids = checked_ids(input_ids);
  const at::Tensor mask = attention_mask.to(device_, at::kBool);
  const int64_t b = ids.size(0);
  const int64_t t = ids.size(1);

  LayerContext ctx;
  ctx.cache = cache;
  ctx.moe = moe;
  std::tie(ctx.cos, ctx.sin) = rope_tables(inv_freq_, position_ids.to(device_), dtype_);
  // Query i of this step sits in slot offset + i and may see the valid key slots <= offset + i.
  const int64_t offset = cache != nullptr ? cache->length() : 0;
  const at::Tensor key_valid = cache != nullptr ? cache->begin_step(mask) : mask;  // [B, S]
  const int64_t s = key_valid.size(1);
  at::Tensor allowed = key_valid.view({b, 1, 1, s});
  const auto long_opts = at::TensorOptions().dtype(at::kLong).device(device_);
  const at::Tensor key_slots = at::arange(s, long_opts).unsqueeze(0);               // [1, S]
  const at::Tensor query_slots = (at::arange(t, long_opts) + offset).unsqueeze(1);  // [T, 1]
  // A single new token (a decode step) comes after every slot, so only prefill needs the causal mask.
  if (t > 1) allowed = allowed & (key_slots <= query_slots).view({1, 1, t, s});
  // Every query may see its own slot: a padding query then attends to itself instead of to nothing, which
  // would be NaN in some kernels (its output is unused; real tokens always see their own valid slot).
  ctx.attention_mask = allowed | (key_slots == query_slots).view({1, 1, t, s});
  if (!config_.sliding_window_layers.empty()) {
    // Slot distance is token distance: a row's tokens fill consecutive slots (its padding all lies before them).
    ctx.sliding_attention_mask =
        ctx.attention_mask & (key_slots > query_slots - config_.sliding_window).view({1, 1, t, s});
  }
  ctx.token_mask = mask.reshape({-1});
  const at::Tensor out = run_layers(ids, ctx, moe);
  if (cache != nullptr) cache->end_step();
  return out;
}

at::Tensor Transformer::packed_hidden_states(const at::Tensor& input_ids, const at::Tensor& position_ids,
                                             const at::Tensor& segment_ids, MoeStats* moe,
                                             const at::Tensor& prefix_segments) const {
  const bool shared = prefix_segments.defined();
  if (input_ids.dim() != 2 || !position_ids.sizes().equals(input_ids.sizes()) ||
      !segment_ids.sizes().equals(input_ids.sizes()) ||
      (shared && !prefix_segments.sizes().equals(input_ids.sizes()))) {
    throw InputError("transformer: packed input_ids " + shape_str(input_ids) + ", position_ids " +
                     shape_str(position_ids) + ", segment_ids " + shape_str(segment_ids) +
                     (shared ? " and prefix_segments " + shape_str(prefix_segments) : std::string()) +
                     " must all be [batch, tokens]");
  }
  const at::Tensor ids = checked_ids(input_ids);
  const at::Tensor segments = segment_ids.to(device_, at::kLong);
  const at::Tensor positions = position_ids.to(device_);
  const int64_t b = ids.size(0);
  const int64_t t = ids.size(1);
  LayerContext ctx;
  ctx.moe = moe;
  std::tie(ctx.cos, ctx.sin) = rope_tables(inv_freq_, positions, dtype_);
  const auto long_opts = at::TensorOptions().dtype(at::kLong).device(device_);
  const at::Tensor key_slots = at::arange(t, long_opts).unsqueeze(0);    // [1, T]
  const at::Tensor query_slots = at::arange(t, long_opts).unsqueeze(1);  // [T, 1]
  // Block-diagonal causal: the same sequence (padding, -1, sees no other token), or the query's shared prefix, at
  // an earlier or the same slot. The diagonal keeps every query row non-empty, as in hidden_states.
  at::Tensor visible = segments.view({b, 1, t, 1}) == segments.view({b, 1, 1, t});
  if (shared)
    visible = visible | (prefix_segments.to(device_, at::kLong).view({b, 1, t, 1}) == segments.view({b, 1, 1, t}));
  const at::Tensor real_key = (segments >= 0).view({b, 1, 1, t});
  ctx.attention_mask = (visible & real_key & (key_slots <= query_slots).view({1, 1, t, t})) |
                       (key_slots == query_slots).view({1, 1, t, t});
  if (!config_.sliding_window_layers.empty()) {
    // Token distance is position distance: within a sequence, and from a completion to its shared prefix (whose
    // completions' positions continue from the prefix), whatever lies between them in the row.
    ctx.sliding_attention_mask =
        ctx.attention_mask & (positions.view({b, 1, 1, t}) > positions.view({b, 1, t, 1}) - config_.sliding_window);
  }
  ctx.token_mask = (segments >= 0).reshape({-1});
  return run_layers(ids, ctx, moe);
}

at::Tensor Transformer::run_layers(const at::Tensor& ids, const LayerContext& ctx, MoeStats* moe) const {
  at::Tensor x = at::embedding(embed_tokens_, ids);
  if (embed_scale_ > 0) x = x * embed_scale_;
  // Checkpointing only pays when backward will run: autograd on, and something to train.
  if (activation_checkpointing_ && ctx.cache == nullptr && at::GradMode::is_enabled() &&
      !trainable_parameters().empty()) {
    for (const DecoderLayer& layer : layers_) x = checkpointed_layer(layer, x, ctx);
  } else {
    for (const DecoderLayer& layer : layers_) x = layer.forward(x, ctx);
  }
  // One loss over all MoE layers' pooled sums (moe.h), as transformers computes Qwen3-MoE's aux_loss.
  if (moe != nullptr && moe->balance.slots.defined()) moe->aux_loss = moe->balance.loss();
  return config_.family == Family::kGemma2 ? rms_norm_unit_offset(x, norm_, config_.rms_norm_eps)
                                           : rms_norm(x, norm_, config_.rms_norm_eps);
}

at::Tensor Transformer::checkpointed_layer(const DecoderLayer& layer, const at::Tensor& x, const LayerContext& ctx) {
  // The recomputation happens after hidden_states() returned: it captures the tables by value, and reports MoE
  // statistics only from the first run (the caller's MoeStats may be gone by backward).
  LayerContext shared = ctx;
  shared.moe = nullptr;
  MoeStats* const stats = ctx.moe;
  const bool moe_layer = layer.moe.has_value() && stats != nullptr;
  const RecomputeFn fn = [&layer, shared, stats, moe_layer](const std::vector<at::Tensor>& in, bool recomputing) {
    LayerContext local = shared;
    MoeStats layer_stats;
    layer_stats.collect_metrics = !recomputing && stats != nullptr && stats->collect_metrics;
    if (moe_layer) local.moe = &layer_stats;
    std::vector<at::Tensor> out{layer.forward(in[0], local)};
    if (moe_layer) {
      // The differentiable probability sums second, then the counts as data (recompute_in_backward).
      out.push_back(layer_stats.balance.prob_sum);
      out.push_back(layer_stats.balance.slots);
      out.push_back(layer_stats.balance.tokens);
      if (!recomputing) {
        for (RouterMetrics& m : layer_stats.layers) stats->layers.push_back(std::move(m));
      }
    }
    return out;
  };
  std::vector<at::Tensor> out = recompute_in_backward(fn, {x}, moe_layer ? 2 : 1);
  if (moe_layer) stats->balance.add({.slots = out[2], .prob_sum = out[1], .tokens = out[3]});
  return out[0];
}

at::Tensor Transformer::logits(const at::Tensor& hidden) const {
  if (head_ != Head::kLanguageModel) throw InputError("transformer: this model has no language-model head");
  const at::Tensor logits = lm_head_.forward(hidden);
  return config_.final_logit_softcapping > 0 ? soft_cap(logits, config_.final_logit_softcapping) : logits;
}

at::Tensor Transformer::forward(const at::Tensor& input_ids, const at::Tensor& position_ids,
                                const at::Tensor& attention_mask, KvCache* cache, MoeStats* moe) const {
  return logits(hidden_states(input_ids, position_ids, attention_mask, cache, moe));
}

KvCache Transformer::make_cache(int64_t batch, int64_t capacity) const {
  return KvCache(config_, batch, capacity, dtype_, device_);
}

void Transformer::copy_parameters_from(const Transformer& other) {
  if (!(other.config_ == config_) || other.head_ != head_) {
    throw InputError("transformer: cannot copy parameters between models of different configs");
  }
  const std::vector<NamedTensor> src = other.named_parameters();
  const std::vector<NamedTensor> dst = named_parameters();
  at::NoGradGuard no_grad;
  for (size_t i = 0; i < dst.size(); ++i) dst[i].tensor.copy_(src[i].tensor);
}

}  // namespace spct::models
