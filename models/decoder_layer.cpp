#include "models/decoder_layer.h"

#include <ATen/TensorOperators.h>
#include <ATen/ops/matmul.h>
#include <ATen/ops/softmax.h>

#include <cmath>

namespace spct::models {

at::Tensor DecoderLayer::forward(const at::Tensor& x, const LayerContext& ctx) const {
  const at::Tensor h = x + attention(rms_norm(x, input_layernorm, eps), ctx);
  return h + feed_forward(rms_norm(h, post_attention_layernorm, eps), ctx);
}

at::Tensor DecoderLayer::attention(const at::Tensor& x, const LayerContext& ctx) const {
  const int64_t b = x.size(0);
  const int64_t t = x.size(1);
  const int64_t group = num_heads / num_kv_heads;

  at::Tensor q = q_proj.forward(x).view({b, t, num_heads, head_dim});
  at::Tensor k = k_proj.forward(x).view({b, t, num_kv_heads, head_dim});
  const at::Tensor v_new = v_proj.forward(x).view({b, t, num_kv_heads, head_dim}).transpose(1, 2);
  if (q_norm.defined()) {
    q = rms_norm(q, q_norm, eps);
    k = rms_norm(k, k_norm, eps);
  }
  // The softmax scale is folded into q, which is smaller than the score matrix.
  q = apply_rope(q.transpose(1, 2), ctx.cos, ctx.sin) * (1.0 / std::sqrt(static_cast<double>(head_dim)));
  const at::Tensor k_new = apply_rope(k.transpose(1, 2), ctx.cos, ctx.sin);

  at::Tensor keys = k_new;
  at::Tensor values = v_new;
  if (ctx.cache != nullptr) std::tie(keys, values) = ctx.cache->write(index, k_new, v_new);
  const int64_t s = keys.size(2);

  // Grouped-query attention without repeating K/V: the `group` query heads of one kv head are stacked along
  // the query axis, so one batched matmul per kv head covers them all.
  const at::Tensor q_grouped = q.reshape({b, num_kv_heads, group * t, head_dim});
  at::Tensor scores = at::matmul(q_grouped, keys.transpose(2, 3)).view({b, num_kv_heads, group, t, s});
  scores = scores.to(at::kFloat) + ctx.attention_bias;
  const at::Tensor probs = at::softmax(scores, -1).to(values.scalar_type()).view({b, num_kv_heads, group * t, s});
  const at::Tensor context = at::matmul(probs, values)               // [B, kv, group * T, D]
                                 .view({b, num_heads, t, head_dim})  // query head = kv * group + g
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
