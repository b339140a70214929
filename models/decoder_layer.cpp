#include "models/decoder_layer.h"

#include <ATen/TensorOperators.h>
#include <ATen/ops/scaled_dot_product_attention.h>

#include <optional>

namespace spct::models {

at::Tensor DecoderLayer::forward(const at::Tensor& x, const LayerContext& ctx) const {
  const at::Tensor h = x + attention(rms_norm(x, input_layernorm, eps), ctx);
  return h + feed_forward(rms_norm(h, post_attention_layernorm, eps), ctx);
}

at::Tensor DecoderLayer::attention(const at::Tensor& x, const LayerContext& ctx) const {
  const int64_t b = x.size(0);
  const int64_t t = x.size(1);

  at::Tensor q = q_proj.forward(x).view({b, t, num_heads, head_dim});
  at::Tensor k = k_proj.forward(x).view({b, t, num_kv_heads, head_dim});
  const at::Tensor v_new = v_proj.forward(x).view({b, t, num_kv_heads, head_dim}).transpose(1, 2);
  if (q_norm.defined()) {
    q = rms_norm(q, q_norm, eps);
    k = rms_norm(k, k_norm, eps);
  }
  q = apply_rope(q.transpose(1, 2), ctx.cos, ctx.sin);
  const at::Tensor k_new = apply_rope(k.transpose(1, 2), ctx.cos, ctx.sin);

  at::Tensor keys = k_new;
  at::Tensor values = v_new;
  if (ctx.cache != nullptr) std::tie(keys, values) = ctx.cache->write(index, k_new, v_new);

  // Grouped-query attention without repeating K/V in memory where the kernel allows (enable_gqa); the default
  // scale 1 / sqrt(head_dim).
  const at::Tensor context = at::scaled_dot_product_attention(q, keys, values, ctx.attention_mask, /*dropout_p=*/0.0,
                                                              /*is_causal=*/false, /*scale=*/std::nullopt,
                                                              /*enable_gqa=*/num_heads != num_kv_heads)
                                 .transpose(1, 2)
                                 .reshape({b, t, num_heads * head_dim});
  return o_proj.forward(context);
}

at::Tensor DecoderLayer::feed_forward(const at::Tensor& x, const LayerContext& ctx) const {
  if (!moe) return mlp.forward(x);
  const int64_t hidden = x.size(-1);
  const at::Tensor flat = x.reshape({-1, hidden});
  MoeOutput out = moe->forward(flat);
  if (ctx.moe != nullptr) {
    const at::Tensor aux = load_balancing_loss(out.router_probs, out.selected, ctx.token_mask);
    ctx.moe->aux_loss = ctx.moe->aux_loss.defined() ? ctx.moe->aux_loss + aux : aux;
    if (ctx.moe->collect_metrics) {
      ctx.moe->layers.push_back(router_metrics(out.router_probs, out.selected, ctx.token_mask));
    }
  }
  return out.output.view(x.sizes());
}

}  // namespace spct::models
