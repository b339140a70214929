// One labelled item, one critique: the prompt the GRM sees for a preference item in a given response order,
// and whether a critique of it is correct. Both SPCT phases sample from these prompts and judge with this rule:
// rejective fine-tuning (rft_filter.h) keeps correct critiques, and rule-based online RL rewards them with
// correctness.h's rl_reward (+1 / -1).
//
// Items with one response use the single-response 0/1 prompt and spec; items with n >= 2 the pointwise prompt.
//
// Thread safety: the functions are pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "workers/reward/grm/preference_data.h"
#include "workers/reward/grm/prompt_template.h"
#include "workers/reward/grm/score_parser.h"

namespace spct::grm {

// The prompt for `item` with its responses shown in `order` (order[p] = original index at position p). With
// `hinted` (n >= 2 only), the prompt ends with "The best response is: Response j", j the shown position of the
// item's best response (a labelled item, preference_data.h, gets no hint). REQUIRES: order is a permutation of the
// item's response indices.
std::string render_item_prompt(const PromptTemplate& prompt, const PreferenceItem& item, const std::vector<int>& order,
                               bool hinted = false);

struct Judgement {
  ParsedScores parsed;   // scores in shown order
  bool correct = false;  // correctness.h's training rule; false when the critique did not parse
};

// Parses `critique` (written for render_item_prompt(prompt, item, order)) and judges it against item.truth, or a
// labelled item's labels (correctness.h's absolute rule over the template's score range).
Judgement judge_critique(const PromptTemplate& prompt, const PreferenceItem& item, const std::vector<int>& order,
                         std::string_view critique);

}  // namespace spct::grm
