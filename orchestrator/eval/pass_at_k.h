// pass@k from n samples per item: the unbiased estimator of Chen et al. 2021 ("Evaluating Large Language Models
// Trained on Code"): for an item with c correct of n samples, the chance that k of them drawn without
// replacement include a correct one, 1 - C(n-c, k) / C(n, k). Averaged over items it estimates pass@k with
// less variance than drawing k samples once. mean@k (the expected share of correct answers among k samples)
// is c / n for every k, so it is reported once, as the sampled accuracy.
#pragma once

#include <cstdint>
#include <vector>

namespace spct::eval {

// 1 - C(n-c, k) / C(n, k), computed as a product (no large binomials). REQUIRES: 0 <= c <= n, 1 <= k <= n.
double pass_at_k(int64_t n, int64_t c, int64_t k);

// The mean of pass_at_k(n, c_i, k) over `correct_per_item` (each c_i out of n); 0 for no items.
double mean_pass_at_k(int64_t n, const std::vector<int64_t>& correct_per_item, int64_t k);

}  // namespace spct::eval
