#include "orchestrator/eval/pass_at_k.h"

#include <stdexcept>
#include <string>

namespace spct::eval {

double pass_at_k(int64_t n, int64_t c, int64_t k) {
  if (c < 0 || c > n || k < 1 || k > n) {
    throw std::invalid_argument("pass_at_k: needs 0 <= c <= n and 1 <= k <= n, got n=" + std::to_string(n) +
                                " c=" + std::to_string(c) + " k=" + std::to_string(k));
  }
  if (n - c < k) return 1.0;  // every k-subset holds a correct sample
  // C(n-c, k) / C(n, k) = prod_{i = n-c+1}^{n} (1 - k / i)
  double none_correct = 1.0;
  for (int64_t i = n - c + 1; i <= n; ++i) none_correct *= 1.0 - static_cast<double>(k) / static_cast<double>(i);
  return 1.0 - none_correct;
}

double mean_pass_at_k(int64_t n, const std::vector<int64_t>& correct_per_item, int64_t k) {
  if (correct_per_item.empty()) return 0.0;
  double sum = 0;
  for (const int64_t c : correct_per_item) sum += pass_at_k(n, c, k);
  return sum / static_cast<double>(correct_per_item.size());
}

}  // namespace spct::eval
