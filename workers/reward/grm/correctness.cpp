#include "workers/reward/grm/correctness.h"

#include "workers/reward/grm/voting.h"

namespace spct::grm {
namespace {

template <class T>
bool strictly_best(const std::vector<T>& scores, int best) {
  if (best < 0 || best >= static_cast<int>(scores.size())) return false;
  for (size_t i = 0; i < scores.size(); ++i) {
    if (static_cast<int>(i) != best && !(scores[static_cast<size_t>(best)] > scores[i])) return false;
  }
  return true;
}

}  // namespace

bool critique_correct(const std::vector<int>& scores, int truth) {
  if (scores.size() == 1) return scores[0] == truth;
  return strictly_best(scores, truth);
}

bool labelled_critique_correct(const std::vector<int>& scores, const std::vector<int>& labels, int score_min,
                               int score_max) {
  // Twice the score against min + max: the middle of an even-sized range lies between two integers.
  for (size_t i = 0; i < scores.size(); ++i) {
    const int side = 2 * scores[i] - (score_min + score_max);
    if (labels[i] == 1 ? side <= 0 : side >= 0) return false;
  }
  return true;
}

bool totals_correct(const std::vector<double>& totals, int best) {
  return strictly_best(totals, best);
}

int eval_pick_best(const std::vector<double>& totals, uint64_t seed) {
  double top = totals[0];
  for (const double t : totals) top = t > top ? t : top;
  for (const int i : shuffled_order(static_cast<int>(totals.size()), seed)) {
    if (totals[static_cast<size_t>(i)] == top) return i;
  }
  return 0;  // reached only when the totals hold NaN, which equals nothing
}

double rl_reward(bool correct) {
  return correct ? 1.0 : -1.0;
}

double rl_reward_single(bool correct) {
  return correct ? 1.0 : 0.0;
}

}  // namespace spct::grm
