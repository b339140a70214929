// The interface every rule-based reward implements, and the sample it scores.
//
// A reward function maps one (prompt, completion, reference answer) sample to a number. Rule rewards are pure:
// the same input always gives the same score, and no function keeps state between calls.
#pragma once

#include <cstdint>
#include <string_view>

namespace spct::reward {

// One sampled completion to score. The views point into strings the caller owns; they must stay valid for the
// duration of the score() call and are not kept afterwards.
struct RewardInput {
  std::string_view prompt;        // the prompt as rendered for the policy (after any chat template)
  std::string_view completion;    // the generated text, stop string included when one ended it
  std::string_view reference;     // the dataset's reference answer; may be empty for reference-free rewards
  int64_t completion_tokens = 0;  // |y|: tokens the policy generated
  bool truncated = false;         // generation hit rollout.max_new_tokens instead of stopping
};

// A rule-based reward. Implementations are immutable after construction, so score() may be called from several
// threads at once on one object.
class RewardFunction {
 public:
  virtual ~RewardFunction() = default;

  // The score of `input`. Throws spct::InputError when the sample itself is unusable (e.g. a reference answer
  // that is not a number for numeric_match); never throws for anything the policy generated.
  virtual double score(const RewardInput& input) const = 0;
};

}  // namespace spct::reward
