// The built-in synthetic preference task: labelled items for training and evaluating a generative reward model
// (GRM) with nothing downloaded. Each item takes one problem of a built-in policy task (synthetic_task.h) as its
// query and shows n responses: the task's verified answer and n - 1 plausible wrong ones; `truth` is the index
// of the correct one. The single-response variant (n = 1) shows one response, correct or wrong with equal
// probability, and `truth` is its 0/1 label (correctness.h).
//
// Wrong answers are near misses a careless solver would write (for tally, any other count), so a GRM has to check the
// arithmetic rather than the form of the answer:
//   add      the sum off by 1, 2 or 10 (never negative), or with its digits swapped: "3+4=" -> 6, 8, 9, 17
//   count    the count off by 1, 2 or 3 (never negative), the count in two digits (1 -> 11, 10, 01), or nothing
//   reverse  the string unreversed, with one letter changed, or rotated by one
//   tally    each wrong response independently: with probability 3/4 a wrong count (uniform among the other
//            counts 0..max_length-1, so that a count's value says nothing about whether it is right: with 2
//            responses every count is the right one in 4/7 of the items that show it), with probability 1/4 a malformed
//            answer (uniform among the count with a leading zero "03", doubled "33", the counted letter "b", and
//            nothing ""), so a GRM learns to reject the strings a drifting policy writes; an item's wrong responses are
//            distinct (a draw that repeats one is redrawn; kTallyMalformedShare states the share)
// Task tally's train split with n >= 2 also shows items with no single best response (preference_data.h's
// labelled items, judged by correctness.h's absolute rule: each right response above the middle of the score
// range, each wrong one below), because a GRM that rewards a policy judges the policy's own samples: a group's
// responses scored a few at a time, mostly two wrong counts together and, as the policy narrows, the same answer
// twice. Trained on one-right items alone a GRM learns that one response of every pair is right and scores one
// of two wrong counts high, so the totals it gives a group agree with the verifier at chance. The kinds, drawn
// per item (kTallyKindSixths):
//   one right        1/2  the item above: the answer among n - 1 wrong ones
//   all wrong        1/6  n distinct wrong answers of the mix above
//   all wrong, same  1/6  one wrong answer of the mix above, n times (a narrowed policy's group)
//   all right        1/6  the answer n times
// The eval split keeps the one-right items only, so the GRM's held-out figures stay those of the paper's task.
// Every candidate is checked against the task's verifier (the exact reference answer) and rejected when it is
// correct, so a palindrome's "unreversed" string never becomes a wrong answer.
//
// Items come from (options, split, seed, index) alone: the same arguments give the same item on every machine.
// Train and eval items use the task's disjoint problem partitions (synthetic_task.h). The correct response sits
// at a seeded random position, so the file order carries no signal. `subset` is the task name ("add", ...),
// `where` is "synthetic <task>/<split>/<index>".
//
// Thread safety: immutable after construction; at() may run on several threads at once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "orchestrator/data/synthetic_task.h"
#include "workers/reward/grm/preference_data.h"

namespace spct::data {

struct PreferenceTaskOptions {
  TaskOptions task;       // the policy task whose problems and verifier make the items
  int64_t responses = 2;  // n shown per item; 1 = the single-response 0/1 variant
};

// Task tally: the probability that a wrong response is malformed rather than a near miss.
inline constexpr double kTallyMalformedShare = 0.25;

// Task tally, train split, n >= 2: the shares of the item kinds above in sixths, in their order there.
enum class PreferenceKind { kOneRight, kAllWrong, kAllWrongSame, kAllRight };
inline constexpr int kTallyKindSixths[] = {3, 1, 1, 1};

// Most responses an item may show.
inline constexpr int64_t kMaxPreferenceResponses = 8;

// From data.preference_task, data.preference_responses, data.max_operand and data.max_length.
PreferenceTaskOptions preference_task_options(const config::DataSection& data);

class SyntheticPreferences {
 public:
  // The train split is unbounded and depends on `seed`; the eval split has `eval_size` items and ignores it.
  // Throws spct::UsageError naming data.preference_responses when it is outside 1..kMaxPreferenceResponses, or
  // the task parameter when its problems are too few (see SyntheticTask).
  SyntheticPreferences(PreferenceTaskOptions options, Split split, uint64_t seed, uint64_t eval_size);

  uint64_t size() const { return task_.size(); }

  // REQUIRES: index < size().
  grm::PreferenceItem at(uint64_t index) const;

  // Identifies the items (task parameters, n, split, seed), like PromptSource::fingerprint().
  std::string fingerprint() const;

  const PreferenceTaskOptions& options() const { return options_; }

 private:
  const PreferenceTaskOptions options_;
  const uint64_t seed_;
  const bool labelled_kinds_;  // tally train items with n >= 2: the kinds above
  const SyntheticTask task_;
};

// Items 0 .. count-1 of the split. The eval split has exactly `count` items (its eval_size).
std::vector<grm::PreferenceItem> make_synthetic_preferences(const PreferenceTaskOptions& options, Split split,
                                                            uint64_t seed, uint64_t count);

// The task's verifier: whether `response` answers `problem` (the reference answer, exactly).
bool verify_answer(const PromptItem& problem, const std::string& response);

}  // namespace spct::data
