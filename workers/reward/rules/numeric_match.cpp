#include "workers/reward/rules/numeric_match.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/error.h"
#include "workers/reward/rules/number_parser.h"
#include "workers/reward/rules/reward_registry.h"

namespace spct::reward {

NumericMatch::NumericMatch(AnswerFormat format, std::vector<std::string> stops, NumericTolerance tolerance)
    : format_(format), stops_(std::move(stops)), tolerance_(tolerance) {}

double NumericMatch::score(const RewardInput& input) const {
  const auto reference = parse_number(input.reference);
  if (!reference) {
    throw InputError("numeric_match: the reference answer \"" + std::string(input.reference) +
                     "\" is not a number (prompt \"" + std::string(input.prompt.substr(0, 80)) + "\")");
  }
  const auto answer = extract_answer(input.completion, format_, stops_);
  if (!answer) return 0.0;
  auto value = parse_number(*answer);
  if (!value) value = find_last_number(*answer);
  if (!value) return 0.0;
  const double a = *value;
  const double b = *reference;
  const double allowed = std::max(tolerance_.absolute, tolerance_.relative * std::max(std::fabs(a), std::fabs(b)));
  return std::fabs(a - b) <= allowed ? 1.0 : 0.0;
}

namespace {

const RewardRegistration kNumericMatch("numeric_match", [](const RuleOptions& o) {
  return std::make_unique<NumericMatch>(o.answer_format, o.stop,
                                        NumericTolerance{o.numeric_rel_tolerance, o.numeric_abs_tolerance});
});

}  // namespace

}  // namespace spct::reward
