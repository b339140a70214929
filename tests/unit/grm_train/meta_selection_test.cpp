#include "workers/reward/grm/meta_selection.h"

#include <catch2/catch.hpp>

#include "core/error.h"

using spct::grm::meta_selection_stats;
using spct::grm::mixed_labels;

TEST_CASE("meta selection: kept share and within-item AUC", "[grm_train]") {
  // Item 0 (mixed): the meta RM ranks its correct critiques first. Item 1 (mixed): it ranks them last.
  // Item 2: all correct, rated low everywhere (a pooled AUC would count that against the meta RM).
  const std::vector<double> ratings = {0.9, 0.1, 0.8, 0.2, /**/ 0.1, 0.9, 0.2, 0.8, /**/ -5, -6, -7, -8};
  const std::vector<bool> labels = {true, false, true,      false, /**/ true, false,
                                    true, false, /**/ true, true,  true,      true};
  const auto stats = meta_selection_stats(ratings, labels, 4, 2);
  CHECK(stats.items == 3);
  CHECK(stats.mixed_items == 2);
  CHECK(stats.label_rate == Approx(8.0 / 12));
  CHECK(stats.kept_rate == Approx((2 + 0 + 2) / 6.0));  // item 0 keeps 2 right, item 1 keeps 2 wrong, item 2 2 right
  CHECK(stats.within_auc == Approx((1.0 + 0.0) / 2));
  CHECK(mixed_labels(labels, 4, 0));
  CHECK_FALSE(mixed_labels(labels, 4, 2));
}

TEST_CASE("meta selection: ties keep the lower index, no mixed item gives AUC 0.5", "[grm_train]") {
  const auto stats = meta_selection_stats({1, 1, 1, 1}, {false, true, true, true}, 4, 1);
  CHECK(stats.kept_rate == 0.0);  // the tie keeps critique 0, the wrong one
  CHECK(meta_selection_stats({1, 2}, {true, true}, 2, 1).within_auc == 0.5);
  CHECK_THROWS_AS(meta_selection_stats({1, 2, 3}, {true, true, true}, 2, 1), spct::Error);
}
