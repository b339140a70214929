// Cutting the reference answer out of a dataset's worked solution, so rule rewards compare final answers.
//   none   the answer field as it is
//   gsm8k  the text after the last "####" (GSM8K: "... so she has 18 eggs.\n#### 18" -> "18"), trimmed, with
//          thousands separators removed ("#### 1,000" -> "1000")
//   boxed  the contents of the last complete \boxed{...} (MATH-style solutions), braces inside balanced
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace spct::data {

enum class ReferenceExtraction { kNone, kGsm8k, kBoxed };

// "none", "gsm8k", "boxed" -> the kind. Throws spct::UsageError naming data.answer_extraction otherwise.
ReferenceExtraction parse_reference_extraction(const std::string& name);

// The reference answer in `text`, or nullopt when the extraction finds none (no "####", no complete \boxed{},
// or an empty answer).
std::optional<std::string> extract_reference_answer(std::string_view text, ReferenceExtraction kind);

}  // namespace spct::data
