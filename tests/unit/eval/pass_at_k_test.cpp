#include "orchestrator/eval/pass_at_k.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <vector>

using spct::eval::mean_pass_at_k;
using spct::eval::pass_at_k;

namespace {

// C(n, k) as a double, by the textbook product, for small arguments.
double binomial(int64_t n, int64_t k) {
  if (k < 0 || k > n) return 0;
  double value = 1;
  for (int64_t i = 1; i <= k; ++i) value = value * static_cast<double>(n - k + i) / static_cast<double>(i);
  return value;
}

}  // namespace

TEST_CASE("pass@k matches 1 - C(n-c,k)/C(n,k) and its edge cases", "[eval]") {
  for (int64_t n = 1; n <= 12; ++n) {
    for (int64_t c = 0; c <= n; ++c) {
      for (int64_t k = 1; k <= n; ++k) {
        INFO("n=" << n << " c=" << c << " k=" << k);
        CHECK(pass_at_k(n, c, k) == Approx(1.0 - binomial(n - c, k) / binomial(n, k)).margin(1e-12));
      }
    }
  }
  CHECK(pass_at_k(8, 0, 4) == 0.0);
  CHECK(pass_at_k(8, 8, 1) == 1.0);
  CHECK(pass_at_k(8, 3, 1) == Approx(3.0 / 8.0));  // pass@1 is the share correct
  CHECK(pass_at_k(8, 5, 4) == 1.0);                // 3 wrong cannot fill 4 draws
  CHECK_THROWS_AS(pass_at_k(4, 1, 5), std::invalid_argument);
  CHECK_THROWS_AS(pass_at_k(4, 5, 1), std::invalid_argument);
}

TEST_CASE("pass@k over items agrees with drawing k of the n samples at random", "[eval]") {
  const int64_t n = 10;
  const std::vector<int64_t> correct = {0, 1, 3, 10, 5};
  std::mt19937_64 random(7);
  for (const int64_t k : {1, 2, 4, 8}) {
    int64_t hits = 0;
    const int trials = 20000;
    for (int t = 0; t < trials; ++t) {
      for (const int64_t c : correct) {
        std::vector<int> samples(static_cast<size_t>(n), 0);
        for (int64_t i = 0; i < c; ++i) samples[static_cast<size_t>(i)] = 1;
        std::shuffle(samples.begin(), samples.end(), random);
        bool any = false;
        for (int64_t i = 0; i < k; ++i) any = any || samples[static_cast<size_t>(i)] == 1;
        hits += any ? 1 : 0;
      }
    }
    const double simulated = static_cast<double>(hits) / (trials * static_cast<double>(correct.size()));
    INFO("k=" << k);
    CHECK(mean_pass_at_k(n, correct, k) == Approx(simulated).margin(0.01));
  }
  CHECK(mean_pass_at_k(n, {}, 1) == 0.0);
}
