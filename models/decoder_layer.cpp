#include "models/decoder_layer.h"

#include <ATen/TensorOperators.h>
#include <ATen/ops/matmul.h>
#include <ATen/ops/scaled_dot_product_attention.h>
#include <ATen/ops/softmax.h>
#include <ATen/record_function.h>

#include <cmath>
#include <limits>
#include <optional>
#include <vector>

namespace spct::models {

at::Tensor DecoderLayer::norm(const at::Tensor& x, const at::Tensor& weight) const {
  return unit_offset_norms ? rms_norm_unit_offset(x, weight, eps) : rms_norm(x, weight, eps);
}

at::Tensor DecoderLayer::forward(const at::Tensor& x, const LayerContext& ctx) const {
  if (pre_feedforward_layernorm.defined()) {
    const at::Tensor h = x + norm(attention(norm(x, input_layernorm), ctx), post_attention_layernorm);
    return h + norm(feed_forward(norm(h, pre_feedforward_layernorm), ctx), post_feedforward_layernorm);
  }
  const at::Tensor h = x + attention(norm(x, input_layernorm), ctx);
  return h + feed_forward(norm(h, post_attention_layernorm), ctx);
}

at::Tensor DecoderLayer::attention(const at::Tensor& x, const LayerContext& ctx) const {
  const int64_t b = x.size(0);
  const int64_t t = x.size(1);

  const std::vector<at::Tensor> projected = qkv.forward(x, {&q_proj, &k_proj, &v_proj});
  at::Tensor q = projected[0].view({b, t, num_heads, head_dim});
  at::Tensor k = projected[1].view({b, t, num_kv_heads, head_dim});
  const at::Tensor v_new = projected[2].view({b, t, num_kv_heads, head_dim}).transpose(1, 2);
  if (q_norm.defined()) {
    q = norm(q, q_norm);
    k = norm(k, k_norm);
  }
  q = apply_rope(q.transpose(1, 2), ctx.cos, ctx.sin);
  const at::Tensor k_new = apply_rope(k.transpose(1, 2), ctx.cos, ctx.sin);

  at::Tensor keys = k_new;
  at::Tensor values = v_new;
  if (ctx.cache != nullptr) std::tie(keys, values) = ctx.cache->write(index, k_new, v_new);

  const at::Tensor& mask = sliding ? ctx.sliding_attention_mask : ctx.attention_mask;
  // A decode step on the CPU (one query per row) is two batched matmuls over the cache as it lies: ATen's CPU
  // SDPA kernel is slow there (Qwen2.5-0.5B's shape, batch 64, 200 keys: 7.2 ms per layer in bfloat16 against
  // 0.7 ms for the matmuls; in float32 a whole decode step 196 against 183 ms).
  const bool cpu_decode = t == 1 && q.device().is_cpu();
  at::Tensor heads;
  if (eager_attention || cpu_decode) {
    RECORD_USER_SCOPE("spct::eager_attention");  // one interval for profilers (bench/rollout/kernel_timer.h)
    heads = eager_attention_heads(q, keys, values, mask);
  } else {
    // Grouped-query attention without repeating K/V in memory where the kernel allows (enable_gqa).
    heads = at::scaled_dot_product_attention(q, keys, values, mask, /*dropout_p=*/0.0, /*is_causal=*/false,
                                             attention_scale, /*enable_gqa=*/num_heads != num_kv_heads);
  }
  return o_proj.forward(heads.transpose(1, 2).reshape({b, t, num_heads * head_dim}));
}

at::Tensor DecoderLayer::eager_attention_heads(const at::Tensor& q, const at::Tensor& keys, const at::Tensor& values,
                                               const at::Tensor& mask) const {
  const int64_t b = q.size(0);
  const int64_t t = q.size(2);
  const int64_t s = keys.size(2);
  const int64_t group = num_heads / num_kv_heads;
  // The `group` query heads of one kv head (heads kv * group ... kv * group + group - 1, as repeat_kv pairs them)
  // stacked along the query axis, so that K and V are used as they are instead of repeated.
  const at::Tensor grouped = q.reshape({b, num_kv_heads, group * t, head_dim});
  const double scale = attention_scale.value_or(1.0 / std::sqrt(static_cast<double>(head_dim)));
  // A bfloat16 decode step's keys are the cache's view, whose batch stride is the cache's capacity: ATen's CPU
  // batched matmul takes a slow path on it, slower than a contiguous copy and the product together (Qwen2.5-0.5B's
  // shape, batch 64, 200 slots: 0.74-0.91 against 0.42-0.49 ms per layer). Float32 is faster on the view.
  const bool copy_keys = t == 1 && keys.is_cpu() && keys.scalar_type() == at::kBFloat16;
  const at::Tensor scored_keys = copy_keys ? keys.contiguous() : keys;
  // The order and dtypes of transformers' eager attention: scores in the compute dtype, scaled, capped, masked,
  // then a float32 softmax rounded back.
  at::Tensor scores = at::matmul(grouped, scored_keys.transpose(2, 3)) * scale;
  if (attn_logit_softcapping > 0) scores = soft_cap(scores, attn_logit_softcapping);
  scores = scores.view({b, num_kv_heads, group, t, s})
               .masked_fill(mask.logical_not().unsqueeze(1), -std::numeric_limits<double>::infinity());
  const at::Tensor probs = at::softmax(scores, -1, at::kFloat).to(q.scalar_type());
  return at::matmul(probs.view({b, num_kv_heads, group * t, s}), values).view({b, num_heads, t, head_dim});
}

at::Tensor DecoderLayer::feed_forward(const at::Tensor& x, const LayerContext& ctx) const {
  if (!moe) return mlp.forward(x);
  const int64_t hidden = x.size(-1);
  const at::Tensor flat = x.reshape({-1, hidden});
  MoeOutput out = moe->forward(flat);
  if (ctx.moe != nullptr) {
    ctx.moe->balance.add(load_balancing_sums(out.router_probs, out.selected, ctx.token_mask));
    if (ctx.moe->collect_metrics) {
      ctx.moe->layers.push_back(router_metrics(out.router_probs, out.selected, ctx.token_mask));
    }
  }
  return out.output.view(x.sizes());
}

}  // namespace spct::models
