// A decoder-only transformer in the Llama / Qwen2 / Qwen3 / Qwen3-MoE / Gemma 2 layout, as a plain class holding
// at::Tensor parameters (no torch::nn), named exactly as Hugging Face names them so that checkpoints load and
// save by name (models/io/).
//
// Parameters live on one device in one dtype (config.dtype). A fresh model is initialised deterministically
// from a seed, identically on every device: matrices ~ N(0, 0.02^2), norm weights the identity scale (1; 0 for
// Gemma's 1 + weight norms), biases 0, drawn on the CPU in named_parameters() order and then moved.
//
// forward() is causal self-attention over a [B, T] batch with a padding mask; with a KvCache it appends to
// the cache and attends to everything cached (see kv_cache.h for the slot layout). Forward passes with a
// cache are for inference: no gradient flows through cached keys and values.
//
// Thread safety: forward passes are const and may run concurrently (each with its own cache) as long as no
// thread mutates parameters or attaches adapters at the same time.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "models/decoder_layer.h"
#include "models/kv_cache.h"
#include "models/linear.h"
#include "models/model_config.h"
#include "models/moe.h"
#include "models/named_tensor.h"

namespace spct::models {

// at::kFloat, at::kBFloat16 or at::kHalf.
at::ScalarType scalar_type(DType dtype);

// Whether the model ends in the language-model head ("lm_head.weight", or the tied embedding) or in nothing
// (sequence-classification variants add their own head on hidden_states(), e.g. models/scalar_head.h).
enum class Head { kLanguageModel, kNone };

// A projection of the model and its Hugging Face module name ("model.layers.0.self_attn.q_proj"); the
// pointer stays valid for the model's lifetime. Used to attach LoRA adapters by name.
struct NamedLinear {
  std::string name;
  Linear* linear;
};

class Transformer {
 public:
  // Builds and randomly initialises a model. Throws spct::InputError when the config is inconsistent, or for
  // float16 on the CPU (no CPU matmul kernel for it; bfloat16 works everywhere).
  Transformer(const ModelConfig& config, uint64_t seed, at::Device device = at::kCPU, Head head = Head::kLanguageModel);

  Transformer(const Transformer&) = delete;
  Transformer& operator=(const Transformer&) = delete;

  const ModelConfig& config() const { return config_; }
  at::Device device() const { return device_; }
  at::ScalarType dtype() const { return dtype_; }
  Head head() const { return head_; }

  // The model's own parameters with their Hugging Face names, in Hugging Face order: embed_tokens, then per
  // layer self_attn.{q,k,v,o}_proj.{weight,bias}, self_attn.{q,k}_norm, mlp.* (dense: {gate,up,down}_proj;
  // MoE: gate, experts.<e>.{gate,up,down}_proj), input_layernorm, post_attention_layernorm (Gemma 2: then
  // {pre,post}_feedforward_layernorm); then model.norm and lm_head (absent when tied or Head::kNone). Tensors
  // alias the model's storage. No LoRA adapters here.
  std::vector<NamedTensor> named_parameters() const;

  // LoRA adapter parameters ("<module>.lora_A.weight", "<module>.lora_B.weight"), empty without adapters.
  std::vector<NamedTensor> adapter_parameters() const;

  // Everything an optimiser should update: the parameters (own and adapter) with requires_grad set.
  std::vector<NamedTensor> trainable_parameters() const;

  // Sets requires_grad on every own parameter (adapters are untouched).
  void set_requires_grad(bool requires_grad);

  // Every projection, named; lm_head is included (when untied) so that it can be targeted too.
  std::vector<NamedLinear> linears();

  // The final-normed hidden states [B, T, hidden] of input_ids [B, T] int64 at position_ids [B, T] int64;
  // attention_mask [B, T] bool (false = padding: never attended to; its own outputs are finite garbage).
  // With `cache`, the tokens are appended to it (attention_mask covers only the new tokens). With `moe`, MoE
  // layers report their load-balancing loss and routing metrics there. Inputs may be on any device; they are
  // moved to the model's. Throws spct::InputError on shape mismatches and token ids out of range.
  at::Tensor hidden_states(const at::Tensor& input_ids, const at::Tensor& position_ids,
                           const at::Tensor& attention_mask, KvCache* cache = nullptr, MoeStats* moe = nullptr) const;

  // Packed rows (sequence packing): several sequences share a row of input_ids [B, T] int64. segment_ids [B, T]
  // int64 names each token's sequence (>= 0; a sequence's tokens consecutive within one row) or -1 for padding;
  // position_ids count from 0 at each sequence's first token. A token attends to the earlier tokens of its own
  // sequence only (a block-diagonal causal mask), and Gemma 2's sliding window counts within that sequence, so each
  // sequence's states equal those it gets alone in a padded batch (up to float rounding). Padding's outputs are
  // finite garbage. No cache. With `moe`, statistics over the real tokens (segment >= 0). Throws spct::InputError
  // on shape mismatches and token ids out of range.
  //
  // Shared prefixes: prefix_segments [B, T] int64 (optional) names, for each token, one more segment whose tokens
  // it also attends to (causally: only those before it in the row). A prompt laid out once as its own segment,
  // followed by several completions that each name it, gives every completion the states it would get after its
  // own copy of the prompt (the completions' positions continuing from the prompt's length), so the prompt's
  // forward and backward run once for all of them. Undefined, or a token's own segment: no shared prefix.
  at::Tensor packed_hidden_states(const at::Tensor& input_ids, const at::Tensor& position_ids,
                                  const at::Tensor& segment_ids, MoeStats* moe = nullptr,
                                  const at::Tensor& prefix_segments = {}) const;

  // The language-model head: hidden [..., hidden] -> logits [..., vocab] in the model dtype (soft-capped when
  // the config says so).
  // REQUIRES: head() == Head::kLanguageModel.
  at::Tensor logits(const at::Tensor& hidden) const;

  // logits(hidden_states(...)): [B, T, vocab].
  at::Tensor forward(const at::Tensor& input_ids, const at::Tensor& position_ids, const at::Tensor& attention_mask,
                     KvCache* cache = nullptr, MoeStats* moe = nullptr) const;

  // A cache sized for this model: `batch` rows, `capacity` slots, in the model's dtype and device.
  KvCache make_cache(int64_t batch, int64_t capacity) const;

  // Activation checkpointing (off by default): with autograd on and no cache, each decoder layer keeps only its
  // input for backward and is run again during backward (models/recompute.h): activation memory drops from
  // every layer's intermediates to one layer's, for about one more forward pass. Gradients are the same.
  void set_activation_checkpointing(bool on) { activation_checkpointing_ = on; }
  bool activation_checkpointing() const { return activation_checkpointing_; }

  // Copies every own parameter of `other` into this model (same config required; throws spct::InputError).
  void copy_parameters_from(const Transformer& other);

 private:
  // Calls fn(name, tensor&) for every own parameter in named_parameters() order.
  template <typename Fn>
  void for_each_parameter(Fn&& fn) const;
  void build(uint64_t seed);
  // input_ids on the model's device as int64, its token ids checked against the vocabulary.
  at::Tensor checked_ids(const at::Tensor& input_ids) const;
  // Embedding, decoder layers (ctx's masks and rope tables filled in by the caller), final norm, MoE loss.
  at::Tensor run_layers(const at::Tensor& ids, const LayerContext& ctx, MoeStats* moe) const;
  // One layer's forward through recompute_in_backward (MoE aux loss included as a differentiable output).
  static at::Tensor checkpointed_layer(const DecoderLayer& layer, const at::Tensor& x, const LayerContext& ctx);

  const ModelConfig config_;
  const at::Device device_;
  const at::ScalarType dtype_;
  const Head head_;
  at::Tensor embed_tokens_;  // [vocab, hidden]
  std::vector<DecoderLayer> layers_;
  at::Tensor norm_;         // [hidden]
  Linear lm_head_;          // weight aliases embed_tokens_ when tied
  at::Tensor inv_freq_;     // [head_dim / 2] float32
  double embed_scale_ = 0;  // > 0: the embeddings are multiplied by it (Gemma: sqrt(hidden_size) in the dtype)
  bool activation_checkpointing_ = false;
};

}  // namespace spct::models
