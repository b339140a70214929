// Finding the answer inside a completion, and normalising answers before they are compared.
//
// Two conventions cover the tasks spct trains on:
//   line   the completion up to the first newline or configured stop string ("19\n" -> "19"), for short
//          answers such as the built-in tasks';
//   boxed  the contents of the LAST \boxed{...} in the completion (math style; braces inside are balanced),
//          so a model may reason first and revise its answer.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/choices.h"

namespace spct::reward {

using config::AnswerFormat;  // reward.answer_format

// The answer in `completion`, a view into it. kLine always finds one (possibly empty); kBoxed returns nullopt
// when there is no complete \boxed{...}. Empty strings in `stops` are ignored.
std::optional<std::string_view> extract_answer(std::string_view completion, AnswerFormat format,
                                               const std::vector<std::string>& stops);

struct NormalizeOptions {
  bool case_sensitive = true;        // false: ASCII letters are lower-cased
  bool normalize_whitespace = true;  // trim, and collapse each run of whitespace to one space
};

// `text` normalised as `options` say. Non-ASCII bytes are kept as they are.
std::string normalize_answer(std::string_view text, const NormalizeOptions& options);

}  // namespace spct::reward
