// math_match: 1 when the completion's answer and the reference are the same mathematical answer after LaTeX
// normalisation (math_answer.h): \boxed, \frac{1}{2} = \frac12 = 1/2 = 0.5, \left/\right, spacing, thousands
// separators, units and degrees.
#pragma once

#include <string>
#include <vector>

#include "workers/reward/rules/answer_extraction.h"
#include "workers/reward/rules/math_answer.h"
#include "workers/reward/rules/reward_function.h"

namespace spct::reward {

class MathMatch final : public RewardFunction {
 public:
  // The answer is located as `format` says (see answer_extraction.h); with `line`, a \boxed{...} inside the
  // line is still unwrapped by the normalisation. REQUIRES: both tolerances >= 0.
  MathMatch(AnswerFormat format, std::vector<std::string> stops, MathTolerance tolerance);

  // 1.0 when math_answers_equal(answer, reference), else 0.0 (also when no answer is found).
  // Throws spct::InputError when the reference answer is empty after normalisation: that is a dataset error.
  double score(const RewardInput& input) const override;

 private:
  const AnswerFormat format_;
  const std::vector<std::string> stops_;
  const MathTolerance tolerance_;
};

}  // namespace spct::reward
