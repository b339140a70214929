// The sparse mixture-of-experts MLP of Qwen3-MoE: a linear router scores E experts per token, each token is
// sent to its top-k experts, and their SwiGLU outputs are summed with the routing weights.
//
// Routing, as Qwen3-MoE does it: p = softmax(router(x)) in float32 over all E experts; keep the k largest;
// with norm_topk_prob the k kept weights are divided by their sum, otherwise they are used as they are.
//
// Load-balancing loss (Switch Transformer / Qwen form): aux = E * sum_e f_e * P_e over the tokens in the mask,
// where f_e = (number of top-k slots that picked e) / tokens and P_e = mean router probability of e. With a
// perfectly uniform router aux = k; it grows as routing concentrates. It is differentiable through P only.
// Over a whole model the sums are pooled over every MoE layer before the product, as transformers'
// load_balancing_loss_func does (Qwen3MoeForCausalLM's aux_loss): f_e and P_e are taken over all layers' tokens
// at once, which is not the mean of the per-layer losses (spct_hf_reference_tests checks it against transformers).
//
// Thread safety: forward() is const; concurrent calls are fine while nobody mutates the weights.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "models/layers.h"
#include "models/linear.h"

namespace spct::models {

// Routing statistics of one MoE layer over the tokens in the mask (host values, for metrics).
struct RouterMetrics {
  std::vector<int64_t> tokens_per_expert;  // top-k slots assigned to each expert
  double max_load = 0.0;  // max_e tokens_per_expert / mean_e tokens_per_expert (1 = perfectly balanced)
  double min_load = 0.0;  // min_e tokens_per_expert / mean_e tokens_per_expert
  double entropy = 0.0;   // mean over tokens of the entropy (nats) of the full router distribution
};

struct MoeOutput {
  at::Tensor output;        // [N, hidden], in x's dtype
  at::Tensor router_probs;  // [N, E] float32: softmax of the router logits
  at::Tensor selected;      // [N, k] int64: the chosen experts, most probable first
  at::Tensor weights;       // [N, k] float32: the routing weights applied (renormalised when norm_topk_prob)
};

struct SparseMoe {
  Linear gate;                     // the router, [E, hidden], no bias ("mlp.gate.weight")
  std::vector<SwiGluMlp> experts;  // E experts ("mlp.experts.<e>.{gate,up,down}_proj.weight")
  int64_t top_k = 1;
  bool norm_topk_prob = true;

  // x [N, hidden] -> MoeOutput. Each expert runs once on the tokens routed to it (gathered, then scattered
  // back with index_add), so compute scales with N * k, not N * E.
  MoeOutput forward(const at::Tensor& x) const;
};

// The sums behind the load-balancing loss, over the tokens of one or more MoE layers (add() pools layers).
struct BalanceSums {
  at::Tensor slots;     // [E] float32: top-k slots that picked each expert (a count; no gradient)
  at::Tensor prob_sum;  // [E] float32: summed router probability of each expert (differentiable)
  at::Tensor tokens;    // float32 scalar: the counted tokens (no gradient)

  // This plus `other` (a copy of `other` when this is empty).
  void add(const BalanceSums& other);
  // E * sum_e (slots_e / tokens) * (prob_sum_e / tokens); 0 tokens count as 1. REQUIRES: slots defined.
  at::Tensor loss() const;
};

// The sums of one layer. token_mask [N] bool selects the tokens that count (undefined = all).
BalanceSums load_balancing_sums(const at::Tensor& router_probs, const at::Tensor& selected,
                                const at::Tensor& token_mask);

// aux = E * sum_e f_e * P_e of one layer (see above): load_balancing_sums(...).loss(). Returns a float32 scalar,
// differentiable with respect to router_probs.
at::Tensor load_balancing_loss(const at::Tensor& router_probs, const at::Tensor& selected,
                               const at::Tensor& token_mask);

// Host-side routing statistics over the tokens in token_mask (undefined = all). Synchronises with the device.
RouterMetrics router_metrics(const at::Tensor& router_probs, const at::Tensor& selected, const at::Tensor& token_mask);

// What a forward pass reports about its MoE layers when the caller asks for it (Transformer::forward's `moe`).
struct MoeStats {
  bool collect_metrics = false;       // set by the caller: also fill `layers` (costs a device sync per layer)
  BalanceSums balance;                // pooled over the pass's MoE layers; empty for dense models
  at::Tensor aux_loss;                // balance.loss(), set at the end of the pass; undefined for dense models
  std::vector<RouterMetrics> layers;  // one entry per MoE layer, in layer order, when collect_metrics
};

}  // namespace spct::models
