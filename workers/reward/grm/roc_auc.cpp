#include "workers/reward/grm/roc_auc.h"

#include <algorithm>
#include <numeric>

namespace spct::grm {

double roc_auc(const std::vector<double>& scores, const std::vector<bool>& labels) {
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  // Mann-Whitney U: the sum of the positives' ranks, with tied scores sharing their mean rank.
  double positive_rank_sum = 0;
  double positives = 0;
  for (size_t begin = 0; begin < order.size();) {
    size_t end = begin;
    while (end < order.size() && scores[order[end]] == scores[order[begin]]) ++end;
    const double mean_rank = (static_cast<double>(begin + 1) + static_cast<double>(end)) / 2;
    for (size_t i = begin; i < end; ++i) {
      if (labels[order[i]]) {
        positive_rank_sum += mean_rank;
        positives += 1;
      }
    }
    begin = end;
  }
  const double negatives = static_cast<double>(scores.size()) - positives;
  if (positives == 0 || negatives == 0) return 0.5;
  return (positive_rank_sum - positives * (positives + 1) / 2) / (positives * negatives);
}

}  // namespace spct::grm
