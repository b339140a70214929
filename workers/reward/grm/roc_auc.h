// Ranking quality of a critique rater (the meta RM): the area under the ROC curve of its ratings against the
// critiques' correctness labels.
//
// Thread safety: pure.
#pragma once

#include <vector>

namespace spct::grm {

// The probability that a random positive scores above a random negative, ties counting one half (the
// Mann-Whitney U statistic over positives x negatives); 0.5 when one class is missing.
// REQUIRES: scores.size() == labels.size().
double roc_auc(const std::vector<double>& scores, const std::vector<bool>& labels);

}  // namespace spct::grm
