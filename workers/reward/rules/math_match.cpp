#include "workers/reward/rules/math_match.h"

#include <memory>
#include <utility>

#include "core/error.h"
#include "workers/reward/rules/reward_registry.h"

namespace spct::reward {

MathMatch::MathMatch(AnswerFormat format, std::vector<std::string> stops, MathTolerance tolerance)
    : format_(format), stops_(std::move(stops)), tolerance_(tolerance) {}

double MathMatch::score(const RewardInput& input) const {
  if (normalize_math_answer(input.reference).empty()) {
    throw InputError("math_match: the reference answer \"" + std::string(input.reference) +
                     "\" is empty after normalisation (prompt \"" + std::string(input.prompt.substr(0, 80)) + "\")");
  }
  const auto answer = extract_answer(input.completion, format_, stops_);
  if (!answer) return 0.0;
  return math_answers_equal(*answer, input.reference, tolerance_) ? 1.0 : 0.0;
}

namespace {

// Shares numeric_match's tolerances: a numeral answer is compared the same way under either rule.
const RewardRegistration kMathMatch("math_match", [](const RuleOptions& o) {
  return std::make_unique<MathMatch>(o.answer_format, o.stop,
                                     MathTolerance{o.numeric_rel_tolerance, o.numeric_abs_tolerance});
});

}  // namespace

}  // namespace spct::reward
