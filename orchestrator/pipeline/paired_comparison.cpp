#include "orchestrator/pipeline/paired_comparison.h"

#include <cmath>
#include <string>

#include "core/error.h"

namespace spct::pipeline {

PairedDifference paired_difference(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) {
    throw InputError("paired comparison of " + std::to_string(a.size()) + " items with " + std::to_string(b.size()) +
                     ": the two rows must score the same items");
  }
  PairedDifference result;
  result.items = static_cast<int64_t>(a.size());
  if (a.empty()) return result;
  const auto n = static_cast<double>(a.size());
  double sum_a = 0;
  double sum_b = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    sum_a += a[i];
    sum_b += b[i];
  }
  result.accuracy_a = sum_a / n;
  result.accuracy_b = sum_b / n;
  result.difference = result.accuracy_b - result.accuracy_a;
  if (a.size() >= 2) {
    double squares = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      const double deviation = (b[i] - a[i]) - result.difference;
      squares += deviation * deviation;
    }
    result.std_error = std::sqrt(squares / (n - 1) / n);
  }
  if (result.std_error > 0) {
    result.p_value = std::erfc(std::abs(result.difference / result.std_error) / std::sqrt(2.0));
  } else {
    result.p_value = result.difference == 0 ? 1.0 : 0.0;
  }
  return result;
}

}  // namespace spct::pipeline
