#include "workers/reward/rules/answer_extraction.h"

namespace spct::reward {

namespace {

constexpr std::string_view kBoxed = "\\boxed{";

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view line_answer(std::string_view completion, const std::vector<std::string>& stops) {
  size_t end = completion.find('\n');
  for (const std::string& stop : stops) {
    if (stop.empty()) continue;
    end = std::min(end, completion.find(stop));
  }
  return completion.substr(0, end);
}

// The last \boxed{...} whose closing brace exists. Scanning backwards from each occurrence keeps the cost linear
// in the text after it, and a truncated final box (no closing brace) falls back to an earlier complete one.
std::optional<std::string_view> boxed_answer(std::string_view completion) {
  size_t from = completion.size();
  while (from > 0) {
    const size_t start = completion.rfind(kBoxed, from - 1);
    if (start == std::string_view::npos) return std::nullopt;
    const size_t open = start + kBoxed.size();
    int depth = 1;
    for (size_t i = open; i < completion.size(); ++i) {
      if (completion[i] == '{') {
        ++depth;
      } else if (completion[i] == '}' && --depth == 0) {
        return completion.substr(open, i - open);
      }
    }
    from = start;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string_view> extract_answer(std::string_view completion, AnswerFormat format,
                                               const std::vector<std::string>& stops) {
  if (format == AnswerFormat::kLine) return line_answer(completion, stops);
  return boxed_answer(completion);
}

std::string normalize_answer(std::string_view text, const NormalizeOptions& options) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (const char c : text) {
    if (options.normalize_whitespace && is_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) {
      out.push_back(' ');
      pending_space = false;
    }
    out.push_back(!options.case_sensitive && c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  return out;
}

}  // namespace spct::reward
