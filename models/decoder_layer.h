// One pre-norm decoder layer of the Llama/Qwen family:
//   h = x + o_proj(attention(rope(q_proj(norm1(x))), rope(k_proj(...)), v_proj(...)))
//   y = h + mlp(norm2(h))            (mlp = dense SwiGLU, or the sparse MoE block of moe.h)
// with grouped-query attention (each of the kv_heads key/value heads serves num_heads / kv_heads query heads,
// query head h uses kv head h / group as in Hugging Face's repeat_kv), optional q/k/v biases and optional
// per-head RMSNorm of q and k before RoPE (Qwen3). Attention is at::scaled_dot_product_attention, which picks a
// fused kernel (flash / memory-efficient on CUDA, flash on CPU) and never materialises the [T, S] probabilities
// for backward where the kernel supports it.
//
// Thread safety: forward() is const; concurrent calls are fine with distinct caches.
#pragma once

#include <ATen/core/Tensor.h>

#include <optional>

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
  at::Tensor token_mask;      // [B * T] bool: real (non-padding) tokens, for MoE statistics
  KvCache* cache = nullptr;   // when set, keys/values are appended to it and attention reads all its slots
  MoeStats* moe = nullptr;    // when set, MoE layers add their aux loss (and metrics) here
};

struct DecoderLayer {
  int64_t index = 0;
  int64_t num_heads = 0;
  int64_t num_kv_heads = 0;
  int64_t head_dim = 0;
  double eps = 1e-6;

  at::Tensor input_layernorm;  // [hidden]
  Linear q_proj, k_proj, v_proj, o_proj;
  at::Tensor q_norm, k_norm;            // [head_dim] each, or undefined without qk_norm
  at::Tensor post_attention_layernorm;  // [hidden]
  SwiGluMlp mlp;                        // dense layers
  std::optional<SparseMoe> moe;         // MoE layers (then `mlp` is empty)

  // x [B, T, hidden] -> [B, T, hidden].
  at::Tensor forward(const at::Tensor& x, const LayerContext& ctx) const;

 private:
  at::Tensor attention(const at::Tensor& x, const LayerContext& ctx) const;
  at::Tensor feed_forward(const at::Tensor& x, const LayerContext& ctx) const;
};

}  // namespace spct::models
