#include "workers/reward/grm/meta_selection.h"

#include "core/error.h"
#include "workers/reward/grm/roc_auc.h"
#include "workers/reward/grm/voting.h"

namespace spct::grm {

bool mixed_labels(const std::vector<bool>& labels, int per_item, int64_t item) {
  const auto begin = static_cast<size_t>(item * per_item);
  bool any_correct = false;
  bool any_incorrect = false;
  for (size_t c = begin; c < begin + static_cast<size_t>(per_item); ++c)
    (labels[c] ? any_correct : any_incorrect) = true;
  return any_correct && any_incorrect;
}

MetaSelectionStats meta_selection_stats(const std::vector<double>& ratings, const std::vector<bool>& labels,
                                        int per_item, int keep) {
  if (per_item < 1 || keep < 1 || ratings.size() != labels.size() ||
      ratings.size() % static_cast<size_t>(per_item) != 0) {
    throw Error(ExitCode::kFailure, "meta_selection_stats: " + std::to_string(ratings.size()) + " ratings, " +
                                        std::to_string(labels.size()) + " labels, " + std::to_string(per_item) +
                                        " per item, keep " + std::to_string(keep));
  }
  MetaSelectionStats stats;
  stats.items = static_cast<int64_t>(ratings.size()) / per_item;
  double correct = 0;
  double kept_correct = 0;
  double kept = 0;
  double auc_sum = 0;
  for (int64_t item = 0; item < stats.items; ++item) {
    const auto begin = static_cast<std::ptrdiff_t>(item * per_item);
    const std::vector<double> item_ratings(ratings.begin() + begin, ratings.begin() + begin + per_item);
    const std::vector<bool> item_labels(labels.begin() + begin, labels.begin() + begin + per_item);
    for (const bool label : item_labels) correct += label;
    for (const int c : select_top_rated(item_ratings, keep)) {
      kept_correct += item_labels[static_cast<size_t>(c)];
      kept += 1;
    }
    if (mixed_labels(labels, per_item, item)) {
      ++stats.mixed_items;
      auc_sum += roc_auc(item_ratings, item_labels);
    }
  }
  if (!ratings.empty()) stats.label_rate = correct / static_cast<double>(ratings.size());
  if (kept > 0) stats.kept_rate = kept_correct / kept;
  if (stats.mixed_items > 0) stats.within_auc = auc_sum / static_cast<double>(stats.mixed_items);
  return stats;
}

}  // namespace spct::grm
