// A paired comparison of two accuracies measured on the same items: is B better than A beyond noise?
//
// Two rows of a closing table that score the same held-out items (voting@8 and voting@1 of one GRM eval, or a
// policy's greedy accuracy before and after training) are compared item by item, not as two independent
// proportions: with d_i = b_i - a_i the per-item difference (b_i, a_i in [0, 1]: 0/1 for a greedy or voting
// row, the fraction of correct samples for a sampled row),
//   difference  = mean(d)                          = accuracy(B) - accuracy(A)
//   std_error   = sd(d) / sqrt(n), sd with n - 1   (the items' shared difficulty cancels, so this is smaller
//                                                   than the unpaired sqrt(se_a^2 + se_b^2) when A and B agree)
//   p_value     = two-sided, normal approximation: erfc(|difference / std_error| / sqrt(2))
// For 0/1 rows this is McNemar's test in its normal form (the items where A and B agree add 0 to d). The
// normal approximation needs a few dozen discordant items; the story's evals have hundreds to thousands.
// With std_error 0 (A and B agree on every item, or n < 2) the p-value is 1 when the difference is 0, else 0.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <vector>

namespace spct::pipeline {

struct PairedDifference {
  int64_t items = 0;
  double accuracy_a = 0;
  double accuracy_b = 0;
  double difference = 0;  // accuracy_b - accuracy_a
  double std_error = 0;
  double p_value = 1;

  bool operator==(const PairedDifference&) const = default;
};

// REQUIRES: a.size() == b.size() (throws spct::InputError otherwise). Empty inputs give items 0 and p 1.
PairedDifference paired_difference(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace spct::pipeline
