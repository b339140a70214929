// Extraction of the scores a GRM critique ends with: "Scores: \boxed{s_1, ..., s_n}".
//
// The parser runs once per sampled critique on the reward hot path, so a malformed critique is a value
// (ParsedScores with ok() false and a reason), never an exception; callers count failures and apply the
// configured fallback (see voting.h).
//
// What is accepted, exactly:
//   1. The LAST occurrence of the seven bytes `\boxed{` anywhere in the text is used; everything before and
//      after it (markdown, "### Output:", trailing prose) is ignored. No occurrence: kNoBoxed.
//   2. The box ends at the `}` that balances its `{` (inner braces nest). End of text first: kUnterminated.
//   3. The content is split at commas into items. Each item is optional ASCII whitespace, then 1 to 9 decimal
//      digits, then optional ASCII whitespace. One trailing comma (followed only by whitespace) is tolerated.
//      Anything else in an item (a sign, a decimal point, a letter, markdown, an empty item): kNotInteger.
//      An all-whitespace box: kEmpty.
//   4. The number of items must equal ScoreSpec::count (kWrongCount), and each value must lie in
//      [ScoreSpec::min, ScoreSpec::max] (kOutOfRange).
//
// Thread safety: the functions are pure; call them from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace spct::grm {

// What a valid critique must contain: `count` integers in [min, max].
struct ScoreSpec {
  int count = 2;
  int min = 1;
  int max = 10;
};

enum class ParseStatus { kOk, kNoBoxed, kUnterminated, kEmpty, kNotInteger, kWrongCount, kOutOfRange };

// "ok", "no_boxed", ...: stable names for metrics keys.
const char* parse_status_name(ParseStatus status);

struct ParsedScores {
  ParseStatus status = ParseStatus::kNoBoxed;
  std::vector<int> scores;  // in the order the critique wrote them; filled only when ok()
  std::string reason;       // empty when ok(); otherwise what is wrong and at which byte offset of the text
  size_t box_offset = 0;    // byte offset of the `\boxed{` used (0 when there is none)

  bool ok() const { return status == ParseStatus::kOk; }
};

// The content between the braces of the last `\boxed{...}` in `text`, or an empty view with `*status` set
// to kNoBoxed / kUnterminated. `*offset` receives the byte offset of the backslash. The view points into `text`.
std::string_view last_boxed_content(std::string_view text, ParseStatus* status, size_t* offset);

// Parses the scores of one critique according to the rules in the file comment.
ParsedScores parse_scores(std::string_view text, const ScoreSpec& spec);

}  // namespace spct::grm
