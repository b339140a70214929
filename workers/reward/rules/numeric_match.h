// numeric_match: 1 when the number in the completion's answer equals the reference number within tolerance.
#pragma once

#include <string>
#include <vector>

#include "workers/reward/rules/answer_extraction.h"
#include "workers/reward/rules/reward_function.h"

namespace spct::reward {

struct NumericTolerance {
  double relative = 1e-6;  // of the larger magnitude of the two numbers
  double absolute = 1e-9;
};

class NumericMatch final : public RewardFunction {
 public:
  // The answer is located as `format` says (see answer_extraction.h); numbers are read with number_parser.h.
  // REQUIRES: both tolerances >= 0.
  NumericMatch(AnswerFormat format, std::vector<std::string> stops, NumericTolerance tolerance);

  // 1.0 when |a - b| <= max(absolute, relative * max(|a|, |b|)), where a is the answer read as a whole number
  // or, failing that, the last number written in it; 0.0 when the answer holds no number or differs.
  // Throws spct::InputError when the reference answer is not a number: that is a dataset error.
  double score(const RewardInput& input) const override;

 private:
  const AnswerFormat format_;
  const std::vector<std::string> stops_;
  const NumericTolerance tolerance_;
};

}  // namespace spct::reward
