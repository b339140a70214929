// Paired comparisons of two accuracies on the same items, checked against the definitions on small inputs.
#include "orchestrator/pipeline/paired_comparison.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "core/error.h"

using spct::pipeline::paired_difference;

namespace {

// The two-sided p-value of a standard normal z, from its CDF Phi(z) = (1 + erf(z / sqrt 2)) / 2.
double two_sided_p(double z) {
  const double phi = 0.5 * (1 + std::erf(std::abs(z) / std::sqrt(2.0)));
  return 2 * (1 - phi);
}

}  // namespace

TEST_CASE("a paired difference of 0/1 rows is McNemar's statistic in normal form", "[pipeline][stats]") {
  // 10 items: A right on 1-6, B right on 3-10. Items 1-2: A only (d = -1); items 7-10: B only (d = +1); the six
  // others agree (d = 0). n01 = 2, n10 = 4.
  const std::vector<double> a = {1, 1, 1, 1, 1, 1, 0, 0, 0, 0};
  const std::vector<double> b = {0, 0, 1, 1, 1, 1, 1, 1, 1, 1};
  const double n = 10;
  const double mean = (4.0 - 2.0) / n;  // (n10 - n01) / n
  // sum (d - mean)^2 = sum d^2 - n mean^2, and d^2 = 1 exactly on the 6 discordant items.
  const double variance = (6.0 - n * mean * mean) / (n - 1);
  const double se = std::sqrt(variance / n);
  const auto result = paired_difference(a, b);
  CHECK(result.items == 10);
  CHECK(result.accuracy_a == Approx(0.6));
  CHECK(result.accuracy_b == Approx(0.8));
  CHECK(result.difference == Approx(0.2));
  CHECK(result.std_error == Approx(se));
  CHECK(result.p_value == Approx(two_sided_p(mean / se)));
  // Swapping the sides flips the sign and keeps the error and p-value.
  const auto swapped = paired_difference(b, a);
  CHECK(swapped.difference == Approx(-0.2));
  CHECK(swapped.std_error == Approx(se));
  CHECK(swapped.p_value == Approx(result.p_value));
  // Pairing matters: when the rows agree on most items (B also right on item 7 only: d = 1 there, 0 elsewhere)
  // the paired error sqrt((1 - n 0.1^2) / (n - 1) / n) = 0.1 is half the unpaired one of two proportions.
  const std::vector<double> b7 = {1, 1, 1, 1, 1, 1, 1, 0, 0, 0};
  const auto close = paired_difference(a, b7);
  CHECK(close.std_error == Approx(std::sqrt((1 - n * 0.01) / (n - 1) / n)));
  CHECK(close.std_error < std::sqrt(0.6 * 0.4 / n + 0.7 * 0.3 / n) / 2);
}

TEST_CASE("a paired difference of sampled rows uses the items' fractions", "[pipeline][stats]") {
  // Per-item fractions of correct samples: d = 0.25, 0.5, 0, 0.25.
  const std::vector<double> a = {0.25, 0.0, 0.5, 0.75};
  const std::vector<double> b = {0.5, 0.5, 0.5, 1.0};
  const double mean = 0.25;
  const double squares = 0 + 0.0625 + 0.0625 + 0;  // (d - mean)^2
  const auto result = paired_difference(a, b);
  CHECK(result.difference == Approx(mean));
  CHECK(result.std_error == Approx(std::sqrt(squares / 3 / 4)));
  CHECK(result.p_value == Approx(two_sided_p(mean / std::sqrt(squares / 3 / 4))));
  // A large, consistent gain is far beyond noise; a z of 1.96 is p = 0.05.
  CHECK(two_sided_p(1.959964) == Approx(0.05).margin(1e-6));
  CHECK(result.p_value < 0.05);
}

TEST_CASE("a paired difference without spread or items has a defined p-value", "[pipeline][stats]") {
  const auto same = paired_difference({1, 0, 1}, {1, 0, 1});
  CHECK(same.difference == 0);
  CHECK(same.std_error == 0);
  CHECK(same.p_value == 1);
  // B right on every item A got wrong, A on none B got wrong: d = 1 everywhere, no spread, certainly apart.
  const auto shift = paired_difference({0, 0, 0}, {1, 1, 1});
  CHECK(shift.difference == 1);
  CHECK(shift.std_error == 0);
  CHECK(shift.p_value == 0);
  const auto empty = paired_difference({}, {});
  CHECK(empty.items == 0);
  CHECK(empty.p_value == 1);
  CHECK_THROWS_AS(paired_difference({1, 0}, {1}), spct::InputError);
}
