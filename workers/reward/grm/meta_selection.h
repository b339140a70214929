// How well a meta RM's ratings select among the critiques of one item, which is how meta-RM guided voting uses
// them (voting.h: the k_meta best-rated of an item's k critiques vote). A pooled ROC AUC (roc_auc.h) also
// rewards a meta RM for telling easy items from hard ones, which selection within an item cannot use; these
// statistics look only within items.
//
// Thread safety: pure.
#pragma once

#include <cstdint>
#include <vector>

namespace spct::grm {

struct MetaSelectionStats {
  int64_t items = 0;
  int64_t mixed_items = 0;  // items with at least one correct and one incorrect critique
  double label_rate = 0;    // the share of correct critiques, all critiques of all items
  double kept_rate = 0;     // the share of correct critiques among each item's k_meta best-rated ones
  double within_auc = 0.5;  // mean over mixed items of the items' own ROC AUC; 0.5 when no item is mixed
};

// `ratings` and `labels` hold the critiques of consecutive items, `per_item` each; each item keeps its
// select_top_rated(ratings, keep) (voting.h: ties keep the lower index).
// REQUIRES: ratings.size() == labels.size(), a multiple of per_item; per_item >= 1; keep >= 1.
MetaSelectionStats meta_selection_stats(const std::vector<double>& ratings, const std::vector<bool>& labels,
                                        int per_item, int keep);

// Whether item `item`'s critiques (per_item consecutive labels) are neither all correct nor all incorrect.
// REQUIRES: the item's labels are inside `labels`.
bool mixed_labels(const std::vector<bool>& labels, int per_item, int64_t item);

}  // namespace spct::grm
