#include "workers/reward/rules/grm_correct.h"

#include <string>

#include "core/error.h"
#include "workers/reward/grm/correctness.h"
#include "workers/reward/grm/oracle_critique.h"
#include "workers/reward/rules/reward_registry.h"

namespace spct::reward {
namespace {

grm::ReferenceTruth reference_truth(const RewardInput& input, int score_min, int score_max) {
  const std::optional<grm::ReferenceTruth> truth = grm::truth_from_reference(input.reference, score_min, score_max);
  if (!truth) {
    throw InputError("grm_correct: the reference answer \"" + std::string(input.reference.substr(0, 80)) +
                     "\" is not an oracle critique (\\boxed{...} with a score per response); grm_correct needs "
                     "GRM critique prompts (data.task preference or data.format preference)");
  }
  return *truth;
}

// Single-response critiques score 0 or 1 whatever the configured range (prompt_template.h: single_spec).
grm::ParsedScores parse_critique(const RewardInput& input, const grm::ReferenceTruth& truth, int score_min,
                                 int score_max) {
  const grm::ScoreSpec spec =
      truth.responses == 1 ? grm::ScoreSpec{1, 0, 1} : grm::ScoreSpec{truth.responses, score_min, score_max};
  return grm::parse_scores(input.completion, spec);
}

}  // namespace

double GrmCorrect::score(const RewardInput& input) const {
  const grm::ReferenceTruth truth = reference_truth(input, score_min_, score_max_);
  const grm::ParsedScores parsed = parse_critique(input, truth, score_min_, score_max_);
  const bool correct = parsed.ok() && (truth.labels.empty() ? grm::critique_correct(parsed.scores, truth.truth)
                                                            : grm::labelled_critique_correct(
                                                                  parsed.scores, truth.labels, score_min_, score_max_));
  return truth.responses == 1 ? grm::rl_reward_single(correct) : grm::rl_reward(correct);
}

double GrmParsed::score(const RewardInput& input) const {
  return parse_critique(input, reference_truth(input, score_min_, score_max_), score_min_, score_max_).ok() ? 1.0 : 0.0;
}

namespace {

const RewardRegistration kGrmCorrect("grm_correct", [](const RuleOptions& options) {
  return std::make_unique<GrmCorrect>(static_cast<int>(options.grm_score_min), static_cast<int>(options.grm_score_max));
});
const RewardRegistration kGrmParsed("grm_parsed", [](const RuleOptions& options) {
  return std::make_unique<GrmParsed>(static_cast<int>(options.grm_score_min), static_cast<int>(options.grm_score_max));
});

}  // namespace

}  // namespace spct::reward
