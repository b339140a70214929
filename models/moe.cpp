#include "models/moe.h"

#include <ATen/TensorOperators.h>
#include <ATen/ops/bincount.h>
#include <ATen/ops/floor_divide.h>
#include <ATen/ops/ones.h>
#include <ATen/ops/softmax.h>
#include <ATen/ops/topk.h>
#include <ATen/ops/zeros.h>
#include <ATen/ops/zeros_like.h>

#include <algorithm>

namespace spct::models {
namespace {

// token_mask as float32 weights [N] (all ones when undefined).
at::Tensor mask_weights(const at::Tensor& token_mask, int64_t n, at::Device device) {
  if (!token_mask.defined()) return at::ones({n}, at::TensorOptions().dtype(at::kFloat).device(device));
  return token_mask.to(at::kFloat);
}

}  // namespace

MoeOutput SparseMoe::forward(const at::Tensor& x) const {
  MoeOutput out;
  const at::Tensor logits = gate.forward(x).to(at::kFloat);
  out.router_probs = at::softmax(logits, -1);
  auto [top_weights, top_experts] = out.router_probs.topk(top_k, -1);
  if (norm_topk_prob) top_weights = top_weights / top_weights.sum(-1, /*keepdim=*/true);
  out.selected = top_experts;
  out.weights = top_weights;

  at::Tensor result = at::zeros_like(x);
  const at::Tensor flat_experts = top_experts.reshape({-1});  // [N * k]
  const at::Tensor flat_weights = top_weights.reshape({-1}).to(x.scalar_type());
  // Sort the N*k assignments by expert once; each expert then reads one contiguous slice.
  const auto [sorted_experts, order] = flat_experts.sort();
  const at::Tensor counts = at::bincount(flat_experts, {}, static_cast<int64_t>(experts.size())).cpu();
  const int64_t* count = counts.data_ptr<int64_t>();
  int64_t begin = 0;
  for (size_t e = 0; e < experts.size(); ++e) {
    const int64_t n = count[e];
    if (n == 0) continue;
    const at::Tensor slots = order.narrow(0, begin, n);
    begin += n;
    const at::Tensor tokens = at::floor_divide(slots, top_k);
    const at::Tensor y =
        experts[e].forward(x.index_select(0, tokens)) * flat_weights.index_select(0, slots).unsqueeze(1);
    result.index_add_(0, tokens, y);
  }
  out.output = result;
  return out;
}

void BalanceSums::add(const BalanceSums& other) {
  if (!slots.defined()) {
    *this = other;
    return;
  }
  slots = slots + other.slots;
  prob_sum = prob_sum + other.prob_sum;
  tokens = tokens + other.tokens;
}

at::Tensor BalanceSums::loss() const {
  const at::Tensor n = tokens.clamp_min(1.0);
  return static_cast<double>(slots.size(0)) * ((slots / n) * (prob_sum / n)).sum();
}

BalanceSums load_balancing_sums(const at::Tensor& router_probs, const at::Tensor& selected,
                                const at::Tensor& token_mask) {
  const int64_t n = router_probs.size(0);
  const int64_t num_experts = router_probs.size(1);
  const at::Tensor w = mask_weights(token_mask, n, router_probs.device());  // [N]
  BalanceSums sums;
  // Slots are a count: built from `selected` alone, so no gradient flows through them.
  const at::Tensor one_hot_counts = at::zeros({n, num_experts}, router_probs.options())
                                        .scatter_add(1, selected, at::ones(selected.sizes(), w.options()));
  sums.slots = (one_hot_counts * w.unsqueeze(1)).sum(0);
  sums.prob_sum = (router_probs * w.unsqueeze(1)).sum(0);
  sums.tokens = w.sum();
  return sums;
}

at::Tensor load_balancing_loss(const at::Tensor& router_probs, const at::Tensor& selected,
                               const at::Tensor& token_mask) {
  return load_balancing_sums(router_probs, selected, token_mask).loss();
}

RouterMetrics router_metrics(const at::Tensor& router_probs, const at::Tensor& selected, const at::Tensor& token_mask) {
  const int64_t n = router_probs.size(0);
  const int64_t num_experts = router_probs.size(1);
  const at::Tensor w = mask_weights(token_mask, n, router_probs.device());
  const at::Tensor counted = selected.index_select(0, w.nonzero().reshape({-1})).reshape({-1});
  const at::Tensor counts = at::bincount(counted, {}, num_experts).cpu();
  RouterMetrics m;
  m.tokens_per_expert.assign(counts.data_ptr<int64_t>(), counts.data_ptr<int64_t>() + num_experts);
  const double mean = static_cast<double>(counted.numel()) / static_cast<double>(num_experts);
  if (mean > 0) {
    const auto [lo, hi] = std::minmax_element(m.tokens_per_expert.begin(), m.tokens_per_expert.end());
    m.max_load = static_cast<double>(*hi) / mean;
    m.min_load = static_cast<double>(*lo) / mean;
  }
  const at::Tensor p = router_probs.detach();
  // 0 * log 0 = 0: clamp before the log so that exact zeros contribute nothing instead of NaN.
  const at::Tensor entropy = -(p * p.clamp_min(1e-30).log()).sum(-1);
  const double tokens = w.sum().item<double>();
  m.entropy = tokens > 0 ? (entropy * w).sum().item<double>() / tokens : 0.0;
  return m;
}

}  // namespace spct::models
