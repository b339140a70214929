// exact_match: 1 when the answer found in the completion equals the reference answer, else 0.
#pragma once

#include <string>
#include <vector>

#include "workers/reward/rules/answer_extraction.h"
#include "workers/reward/rules/reward_function.h"

namespace spct::reward {

class ExactMatch final : public RewardFunction {
 public:
  // `format` says where the answer is (see answer_extraction.h); `stops` are rollout.stop, which end a line
  // answer; both the answer and the reference are normalised with `normalize` before comparing.
  ExactMatch(AnswerFormat format, std::vector<std::string> stops, NormalizeOptions normalize);

  // 1.0 or 0.0; a completion without an answer (no \boxed{} in boxed format) scores 0.
  double score(const RewardInput& input) const override;

 private:
  const AnswerFormat format_;
  const std::vector<std::string> stops_;
  const NormalizeOptions normalize_;
};

}  // namespace spct::reward
