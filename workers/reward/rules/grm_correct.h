// Rule rewards for training a generative reward model with online RL (SPCT phase 2): the policy is the GRM, its
// completion is a critique, and the reference answer is the oracle critique of the prompt's item in shown order
// (workers/reward/grm/oracle_critique.h; the prompts come from orchestrator/data/preference_prompts.h).
//
//   grm_correct  the critique's last \boxed{...} must hold n integer scores in [score_min, score_max] (n from
//                the reference); it is correct iff the best response's score is strictly above every other
//                (correctness.h: a tie is not correct). Reward +1 if correct, -1 otherwise (an unparsable
//                critique is not correct; no format reward, the KL penalty carries the format). Single-response
//                items (n == 1): 1 if the score equals the 0/1 label, else 0.
//   grm_parsed   1 when the critique's scores parse by the same spec, else 0. Listed with weight 0 next to
//                grm_correct, its mean in metrics is the parse success rate (1 - parse failures).
//
// Both throw spct::InputError when the reference is not an oracle critique (the data are not preference
// prompts); never for anything the policy generated.
//
// Thread safety: immutable; score() may run on several threads at once.
#pragma once

#include "workers/reward/grm/score_parser.h"
#include "workers/reward/rules/reward_function.h"

namespace spct::reward {

class GrmCorrect final : public RewardFunction {
 public:
  // Scores a critique may give (grm.score_min, grm.score_max).
  GrmCorrect(int score_min, int score_max) : score_min_(score_min), score_max_(score_max) {}
  double score(const RewardInput& input) const override;

 private:
  const int score_min_;
  const int score_max_;
};

class GrmParsed final : public RewardFunction {
 public:
  GrmParsed(int score_min, int score_max) : score_min_(score_min), score_max_(score_max) {}
  double score(const RewardInput& input) const override;

 private:
  const int score_min_;
  const int score_max_;
};

}  // namespace spct::reward
