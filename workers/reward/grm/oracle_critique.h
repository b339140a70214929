// The critique a perfect judge would write for a labelled preference item: the ground truth as GRM output.
//
// It serves two purposes:
//   - the reference answer of a GRM critique prompt in online RL (orchestrator/data/preference_prompts.h): the
//     grm_correct rule reads the truth back from it (truth_from_reference below), so the label travels through
//     the ordinary prompt/answer pipeline;
//   - the supervised warm start of a tiny GRM (sft.warmup_steps on preference data), standing in for the
//     pretrained model the paper starts from: a 2-layer model knows nothing about sums or scores until it has
//     seen some correct critiques.
//
// Scores, in shown order: score_max for the best response and score_min for every other (a strict argmax, so
// the oracle is correct by correctness.h's training rule); for a labelled item (preference_data.h), score_max
// for each right response and score_min for each wrong one; for the single-response variant, the 0/1 label.
// The compact template's critique is only the box ("\boxed{10,1}"); with compact_principles it first states its
// principle, what the right answer is ("P:3 \boxed{1,10}"; the box alone for a single response); the full
// template's has the three parts the prompt asks for (Specific Criteria, Analysis, Scores).
//
// Thread safety: the functions are pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "workers/reward/grm/preference_data.h"
#include "workers/reward/grm/prompt_template.h"

namespace spct::grm {

// The oracle critique of `item` with its responses shown in `order` (order[p] = original index at position p).
// REQUIRES: order is a permutation of the item's response indices.
std::string oracle_critique(const PromptTemplate& prompt, const PreferenceItem& item, const std::vector<int>& order);

// What a reference critique says: how many responses were shown and the truth in shown order (the 0-based
// position of the best response for n >= 2, the 0/1 label for n == 1).
// A labelled item's critique (no unique maximum) gives `labels` instead, in shown order.
struct ReferenceTruth {
  int responses = 0;
  int truth = 0;
  std::vector<int> labels;  // empty unless the reference has no unique maximum
};

// Reads the truth back from an oracle critique (any text whose last \boxed{...} holds n >= 1 integers). With
// n >= 2 and a unique maximum it is the one-best truth; otherwise the labels, 1 for each score above the middle
// of [score_min, score_max] (the oracle scores a labelled item's right responses score_max, its wrong ones
// score_min). Returns nullopt when the reference is not such a text.
std::optional<ReferenceTruth> truth_from_reference(std::string_view reference, int score_min, int score_max);

}  // namespace spct::grm
