#include "workers/reward/rules/exact_match.h"

#include <utility>

#include "workers/reward/rules/reward_registry.h"

namespace spct::reward {

ExactMatch::ExactMatch(AnswerFormat format, std::vector<std::string> stops, NormalizeOptions normalize)
    : format_(format), stops_(std::move(stops)), normalize_(normalize) {}

double ExactMatch::score(const RewardInput& input) const {
  const auto answer = extract_answer(input.completion, format_, stops_);
  if (!answer) return 0.0;
  // The common case (raw strings already equal) skips the two allocations of normalising.
  if (*answer == input.reference) return 1.0;
  return normalize_answer(*answer, normalize_) == normalize_answer(input.reference, normalize_) ? 1.0 : 0.0;
}

namespace {

const RewardRegistration kExactMatch("exact_match", [](const RuleOptions& o) {
  return std::make_unique<ExactMatch>(o.answer_format, o.stop,
                                      NormalizeOptions{o.case_sensitive, o.normalize_whitespace});
});

}  // namespace

}  // namespace spct::reward
