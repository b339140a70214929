// SPCT's correctness rule for one critique, and the rewards built on it (section 3 of algorithms.md).
//
// An item has ground truth `truth`:
//   n >= 2 responses: truth is the 0-based index j of the best response; the critique is correct iff
//                     S_j > S_i for every i != j. A tie for the top is NOT correct (training rule).
//   n == 1 response:  truth is the expected score r_1 (0 or 1 in the single-response variant); correct iff
//                     S_1 == r_1.
//   labelled item (preference_data.h: each response marked right or wrong, none or several of them right):
//                     correct iff every right response scores above the middle of [score_min, score_max] and
//                     every wrong one below it. The rule is absolute so that a score means the same in every
//                     item: a GRM that rewards a policy scores the group's responses in separate passes
//                     (grm.max_responses_per_pass), often two wrong ones together, and compares their totals.
// Scores are in the original response order (after voting.h's to_original_order).
//
// Evaluation differs only in ties: eval_picks_best() breaks a tie for the top by a seeded shuffle, so a tie
// between the best and k-1 others counts as correct with probability 1/k, reproducibly for a given seed.
//
// Thread safety: every function here is pure.
#pragma once

#include <cstdint>
#include <vector>

namespace spct::grm {

// The training rule above. REQUIRES: !scores.empty(); for n >= 2, 0 <= truth < n.
bool critique_correct(const std::vector<int>& scores, int truth);

// The labelled rule above. REQUIRES: scores.size() == labels.size(); score_min < score_max.
bool labelled_critique_correct(const std::vector<int>& scores, const std::vector<int>& labels, int score_min,
                               int score_max);

// The same rule on voted totals (voting@k, meta-RM voting), where scores are sums.
bool totals_correct(const std::vector<double>& totals, int best);

// The index chosen as best in evaluation: the argmax of `totals`; among tied maxima, the first in the seeded
// shuffle shuffled_order(n, seed). REQUIRES: !totals.empty().
int eval_pick_best(const std::vector<double>& totals, uint64_t seed);

// Phase-2 rule-based online RL reward of a critique: +1 if correct, -1 otherwise (an unparsable critique is
// not correct). No format reward: the KL penalty carries the format.
double rl_reward(bool correct);

// The single-response variant's 0/1 reward: 1 if correct, 0 otherwise.
double rl_reward_single(bool correct);

}  // namespace spct::grm
