#include "workers/reward/grm/roc_auc.h"

#include <catch2/catch.hpp>

using spct::grm::roc_auc;

TEST_CASE("ROC AUC: perfect, reversed, tied and by hand", "[grm_train]") {
  CHECK(roc_auc({0.1, 0.2, 0.8, 0.9}, {false, false, true, true}) == 1.0);
  CHECK(roc_auc({0.9, 0.8, 0.2, 0.1}, {false, false, true, true}) == 0.0);
  CHECK(roc_auc({0.5, 0.5, 0.5, 0.5}, {false, true, false, true}) == 0.5);  // all ties count one half
  // Positives 0.4 and 0.7 against negatives 0.1, 0.5, 0.7: pairs won 1 + 0 + 0 and 1 + 1 + 0.5 = 3.5 of 6.
  CHECK(roc_auc({0.4, 0.7, 0.1, 0.5, 0.7}, {true, true, false, false, false}) == Approx(3.5 / 6));
  CHECK(roc_auc({1, 2, 3}, {true, true, true}) == 0.5);  // one class only
  CHECK(roc_auc({}, {}) == 0.5);
}
