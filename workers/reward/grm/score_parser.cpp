#include "workers/reward/grm/score_parser.h"

namespace spct::grm {
namespace {

constexpr std::string_view kBoxOpen = "\\boxed{";
// Nine digits cannot overflow an int, and no score scale needs more.
constexpr size_t kMaxDigits = 9;

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Quotes at most 40 bytes of `item` for a reason message: a hostile critique must not blow up the logs.
std::string excerpt(std::string_view item) {
  constexpr size_t kMax = 40;
  std::string out = "\"";
  out.append(item.substr(0, kMax));
  if (item.size() > kMax) out += "...";
  out += "\"";
  return out;
}

ParsedScores failure(ParseStatus status, std::string reason, size_t box_offset) {
  ParsedScores result;
  result.status = status;
  result.reason = std::move(reason);
  result.box_offset = box_offset;
  return result;
}

}  // namespace

const char* parse_status_name(ParseStatus status) {
  switch (status) {
    case ParseStatus::kOk: return "ok";
    case ParseStatus::kNoBoxed: return "no_boxed";
    case ParseStatus::kUnterminated: return "unterminated";
    case ParseStatus::kEmpty: return "empty";
    case ParseStatus::kNotInteger: return "not_integer";
    case ParseStatus::kWrongCount: return "wrong_count";
    case ParseStatus::kOutOfRange: return "out_of_range";
  }
  return "unknown";
}

std::string_view last_boxed_content(std::string_view text, ParseStatus* status, size_t* offset) {
  *offset = 0;
  const size_t open = text.rfind(kBoxOpen);
  if (open == std::string_view::npos) {
    *status = ParseStatus::kNoBoxed;
    return {};
  }
  *offset = open;
  const size_t begin = open + kBoxOpen.size();
  // Count depth rather than stopping at the first `}` so that a nested brace never splits the box; the
  // content is then rejected by the item grammar, which is what a nested box deserves.
  size_t depth = 1;
  for (size_t i = begin; i < text.size(); ++i) {
    if (text[i] == '{') {
      ++depth;
    } else if (text[i] == '}' && --depth == 0) {
      *status = ParseStatus::kOk;
      return text.substr(begin, i - begin);
    }
  }
  *status = ParseStatus::kUnterminated;
  return {};
}

ParsedScores parse_scores(std::string_view text, const ScoreSpec& spec) {
  ParseStatus status = ParseStatus::kOk;
  size_t box = 0;
  const std::string_view content = last_boxed_content(text, &status, &box);
  if (status == ParseStatus::kNoBoxed) return failure(status, "no \\boxed{...} in the critique", 0);
  if (status == ParseStatus::kUnterminated) {
    return failure(status, "\\boxed{ at offset " + std::to_string(box) + " is never closed", box);
  }
  if (trim(content).empty())
    return failure(ParseStatus::kEmpty, "\\boxed{} at offset " + std::to_string(box) + " is empty", box);

  ParsedScores result;
  result.box_offset = box;
  const size_t content_offset = box + kBoxOpen.size();
  size_t start = 0;
  while (start <= content.size()) {
    const size_t comma = content.find(',', start);
    const size_t end = comma == std::string_view::npos ? content.size() : comma;
    const std::string_view raw = content.substr(start, end - start);
    const std::string_view item = trim(raw);
    const bool last = comma == std::string_view::npos;
    // A trailing comma leaves one empty final item; tolerate exactly that one.
    if (item.empty() && last && !result.scores.empty()) break;
    const size_t at = content_offset + start;
    bool digits_only = !item.empty() && item.size() <= kMaxDigits;
    for (const char c : item) digits_only = digits_only && is_digit(c);
    if (!digits_only) {
      return failure(ParseStatus::kNotInteger,
                     "item " + std::to_string(result.scores.size() + 1) + " of the \\boxed{} at offset " +
                         std::to_string(at) + " is not a plain integer: " + excerpt(item),
                     box);
    }
    int value = 0;
    for (const char c : item) value = value * 10 + (c - '0');
    if (value < spec.min || value > spec.max) {
      return failure(ParseStatus::kOutOfRange,
                     "score " + std::to_string(result.scores.size() + 1) + " (" + std::to_string(value) +
                         ") at offset " + std::to_string(at) + " is outside " + std::to_string(spec.min) + ".." +
                         std::to_string(spec.max),
                     box);
    }
    result.scores.push_back(value);
    if (last) break;
    start = comma + 1;
  }
  if (static_cast<int>(result.scores.size()) != spec.count) {
    return failure(ParseStatus::kWrongCount,
                   "\\boxed{} at offset " + std::to_string(box) + " holds " + std::to_string(result.scores.size()) +
                       " scores, expected " + std::to_string(spec.count),
                   box);
  }
  result.status = ParseStatus::kOk;
  return result;
}

}  // namespace spct::grm
