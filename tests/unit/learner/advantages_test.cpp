#include "learner/advantages.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <vector>

#include "core/error.h"

using namespace spct::learner;

TEST_CASE("group advantages with std normalisation use the sample std plus eps", "[advantages]") {
  // rewards [1, 2, 3]: mean 2, sample std sqrt((1 + 0 + 1) / 2) = 1 -> A = [-1, 0, 1] / (1 + 1e-6).
  const std::vector<double> a = group_advantages(std::vector<double>{1, 2, 3}, AdvantageOptions{});
  REQUIRE(a.size() == 3);
  CHECK(a[0] == Approx(-1 / (1 + 1e-6)).epsilon(1e-12));
  CHECK(a[1] == 0);
  CHECK(a[2] == Approx(1 / (1 + 1e-6)).epsilon(1e-12));

  // rewards [1, 0, 0, 1]: mean 0.5, sample std sqrt(4 * 0.25 / 3) = 0.5773502692 -> A = +-0.5 / (0.57735.. + eps).
  const std::vector<double> b = group_advantages(std::vector<double>{1, 0, 0, 1}, AdvantageOptions{.eps = 1e-6});
  CHECK(b[0] == Approx(0.8660239037870368).epsilon(1e-12));
  CHECK(b[1] == Approx(-0.8660239037870368).epsilon(1e-12));
  CHECK(b[3] == b[0]);
}

TEST_CASE("Dr. GRPO advantages are centred rewards, no std", "[advantages]") {
  const std::vector<double> a =
      group_advantages(std::vector<double>{1, 0, 0, 1}, AdvantageOptions{.std_normalize = false});
  CHECK(a == std::vector<double>{0.5, -0.5, -0.5, 0.5});
  const std::vector<double> b =
      group_advantages(std::vector<double>{3, 5, 10}, AdvantageOptions{.std_normalize = false});
  CHECK(b[0] == Approx(-3));
  CHECK(b[1] == Approx(-1));
  CHECK(b[2] == Approx(4));
}

TEST_CASE("equal rewards give exactly zero advantages and are zero-variance", "[advantages]") {
  for (const bool std_normalize : {true, false}) {
    // 0.1 is not representable: mean != 0.1 by an ulp would leak a tiny non-zero advantage without the check.
    const std::vector<double> rewards = {0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1};
    CHECK(group_advantages(rewards, AdvantageOptions{.std_normalize = std_normalize}) == std::vector<double>(7, 0.0));
  }
  CHECK(is_zero_variance(std::vector<double>{-1, -1, -1}));
  CHECK_FALSE(is_zero_variance(std::vector<double>{-1, -1, 1}));
  // A group of one has nothing to compare against.
  CHECK(group_advantages(std::vector<double>{5}, AdvantageOptions{}) == std::vector<double>{0});
}

TEST_CASE("batch advantages normalise each group on its own, zero-variance fraction", "[advantages]") {
  // Groups [1, 2, 3] and [7, 7, 7] and [0, 0, 6] (mean 2, deviations [-2, -2, 4], Dr. GRPO).
  const std::vector<double> rewards = {1, 2, 3, 7, 7, 7, 0, 0, 6};
  const std::vector<double> a = batch_advantages(rewards, 3, AdvantageOptions{.std_normalize = false});
  CHECK(a == std::vector<double>{-1, 0, 1, 0, 0, 0, -2, -2, 4});
  CHECK(zero_variance_fraction(rewards, 3) == Approx(1.0 / 3));
  CHECK(zero_variance_fraction(rewards, 1) == 1.0);
}

TEST_CASE("advantages reject malformed batches by name", "[advantages]") {
  using Catch::Matchers::Contains;
  const std::vector<double> rewards = {1, 2, 3, 4, 5};
  CHECK_THROWS_WITH(batch_advantages(rewards, 2, AdvantageOptions{}),
                    Contains("5 rewards") && Contains("group size 2"));
  CHECK_THROWS_WITH(batch_advantages(rewards, 0, AdvantageOptions{}), Contains("group size 0"));
  CHECK_THROWS_WITH(group_advantages(std::vector<double>{}, AdvantageOptions{}), Contains("empty"));
  CHECK_THROWS_WITH(group_advantages(std::vector<double>{1, std::nan(""), 2}, AdvantageOptions{}),
                    Contains("reward 1"));
  CHECK_THROWS_AS(group_advantages(std::vector<double>{1, 2}, AdvantageOptions{.eps = 0}), spct::Error);
}
