// Cutting the reference answer out of a dataset's worked solution, so rule rewards compare final answers.
//   none   the answer field as it is
//   gsm8k  the text after the last "####" (GSM8K: "... so she has 18 eggs.\n#### 18" -> "18"), trimmed, with
//          thousands separators removed ("#### 1,000" -> "1000")
//   boxed  the contents of the last complete \boxed{...} (MATH-style solutions), braces inside balanced
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/config/choices.h"

namespace spct::data {

using config::ReferenceExtraction;  // data.answer_extraction

// The reference answer in `text`, or nullopt when the extraction finds none (no "####", no complete \boxed{},
// or an empty answer).
std::optional<std::string> extract_reference_answer(std::string_view text, ReferenceExtraction kind);

}  // namespace spct::data
