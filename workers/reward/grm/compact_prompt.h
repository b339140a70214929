// The compact GRM prompt (grm.template: compact): the parts of the paper's pointwise prompt in a few dozen
// characters, for tiny models whose context and capacity cannot hold the ~1500-character full template (a
// 2-layer character-level GRM on a laptop CPU).
//
//   n >= 2:  "Q:<query> R1:<response 1> R2:<response 2> ... S:"        -> critique "\boxed{s_1,...,s_n}"
//   hinted:  "Q:<query> R1:... R2:... B:R<j> S:"                        (hinted sampling names the best)
//   n == 1:  "Q:<query> R:<response> S:"                                -> critique "\boxed{1}" or "\boxed{0}"
//
// "Q:" stands for the conversation context, "R<i>:" for the responses in the order shown, "S:" for the output
// requirement (scores in that order, as \boxed{...}). The principles and score bands are not spelled out: a
// compact GRM learns them from its training data instead of reading them. Score ranges are those of the
// PromptTemplate (score_min..score_max; 0/1 for the single-response variant).
//
// Thread safety: the functions are pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spct::grm {

// REQUIRES: !responses.empty(); hint_best < responses.size().
std::string render_compact(std::string_view query, const std::vector<std::string_view>& responses,
                           std::optional<int> hint_best);

std::string render_compact_single(std::string_view query, std::string_view response);

}  // namespace spct::grm
