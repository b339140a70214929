// One pre-norm decoder layer of the Llama/Qwen family:
//   h = x + o_proj(attention(rope(q_proj(norm1(x))), rope(k_proj(...)), v_proj(...)))
//   y = h + mlp(norm2(h))            (mlp = dense SwiGLU, or the sparse MoE block of moe.h)
// with grouped-query attention (each of the kv_heads key/value heads serves num_heads / kv_heads query heads,
// query head h uses kv head h / group as in Hugging Face's repeat_kv), optional q/k/v biases and optional
// per-head RMSNorm of q and k before RoPE (Qwen3). Attention is at::scaled_dot_product_attention, which picks a
// fused kernel (flash / memory-efficient on CUDA, flash on CPU) and never materialises the [T, S] probabilities
// for backward where the kernel supports it. A decode step on the CPU (one query per row) is written out instead
// (eager_attention_heads()): its [1, S] scores are small, and two batched matmuls are about 10x faster than the
// CPU SDPA kernel there at batch 64 in bfloat16, and faster in float32 too.
//
// Gemma 2's layer ("sandwich" norms, every norm scaling by 1 + weight):
//   h = x + post_attention_layernorm(attention(input_layernorm(x)))
//   y = h + post_feedforward_layernorm(mlp(pre_feedforward_layernorm(h)))     (mlp = GeGLU)
// with its own attention scale and soft-capped scores. Its attention is written out as transformers' eager
// attention is (the fused kernels cannot cap scores, and transformers has no other CPU path for Gemma 2): the
// [T, S] probabilities are materialised, and the same roundings happen in bfloat16. A sliding layer sees only the
// keys of LayerContext::sliding_attention_mask.
//
// Thread safety: forward() is const; concurrent calls are fine with distinct caches.
#pragma once

#include <ATen/core/Tensor.h>

#include <optional>

#include "models/fused_projections.h"
#include "models/kv_cache.h"
#include "models/layers.h"
#include "models/linear.h"
#include "models/moe.h"

namespace spct::models {

// What every layer of one forward pass shares, computed once by the transformer.
struct LayerContext {
  at::Tensor cos;             // [B, 1, T, head_dim]
  at::Tensor sin;             // [B, 1, T, head_dim]
  at::Tensor attention_mask;  // [B, 1, T, S] bool: true where a query may attend to a key slot; every query row
                              // has at least one true slot (a padding query sees itself), so no row is all-masked
  at::Tensor sliding_attention_mask;  // attention_mask limited to each query's sliding window; defined only when
                                      // the model has sliding layers
  at::Tensor token_mask;              // [B * T] bool: real (non-padding) tokens, for MoE statistics
  KvCache* cache = nullptr;           // when set, keys/values are appended to it and attention reads all its slots
  MoeStats* moe = nullptr;            // when set, MoE layers add their aux loss (and metrics) here
};

struct DecoderLayer {
  int64_t index = 0;
  int64_t num_heads = 0;
  int64_t num_kv_heads = 0;
  int64_t head_dim = 0;
  double eps = 1e-6;

  at::Tensor input_layernorm;  // [hidden]
  Linear q_proj, k_proj, v_proj, o_proj;
  FusedProjections qkv;                 // q_proj, k_proj and v_proj as one product during generation
  at::Tensor q_norm, k_norm;            // [head_dim] each, or undefined without qk_norm
  at::Tensor post_attention_layernorm;  // [hidden]
  SwiGluMlp mlp;                        // dense layers
  std::optional<SparseMoe> moe;         // MoE layers (then `mlp` is empty)

  // Gemma 2; the defaults are the Llama/Qwen layer.
  bool unit_offset_norms = false;         // every norm scales by (1 + weight) (rms_norm_unit_offset)
  at::Tensor pre_feedforward_layernorm;   // [hidden]; defined: sandwich norms (see above)
  at::Tensor post_feedforward_layernorm;  // [hidden]
  std::optional<double> attention_scale;  // scores = q k^T * this; nullopt: 1 / sqrt(head_dim)
  bool eager_attention = false;           // attention written out (eager_attention_heads()), not fused
  double attn_logit_softcapping = 0;      // > 0: scores = c * tanh(scores / c) before the mask and softmax;
                                          // needs eager_attention
  bool sliding = false;                   // attends through ctx.sliding_attention_mask

  // x [B, T, hidden] -> [B, T, hidden].
  at::Tensor forward(const at::Tensor& x, const LayerContext& ctx) const;

 private:
  at::Tensor attention(const at::Tensor& x, const LayerContext& ctx) const;
  at::Tensor feed_forward(const at::Tensor& x, const LayerContext& ctx) const;
  at::Tensor norm(const at::Tensor& x, const at::Tensor& weight) const;
  // Attention with scores materialised (and soft-capped when configured): q [B, H, T, D], keys and values
  // [B, KV, S, D], mask [B, 1, T, S]; returns [B, H, T, D].
  at::Tensor eager_attention_heads(const at::Tensor& q, const at::Tensor& keys, const at::Tensor& values,
                                   const at::Tensor& mask) const;
};

}  // namespace spct::models
