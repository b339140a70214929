#include "orchestrator/data/reference_answer.h"

namespace spct::data {

namespace {

std::string_view trim(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// GSM8K writes large answers with separators now and then; the graders compare bare numbers.
std::string without_thousands_separators(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool separator = s[i] == ',' && i > 0 && is_digit(s[i - 1]) && i + 3 < s.size() && is_digit(s[i + 1]) &&
                           is_digit(s[i + 2]) && is_digit(s[i + 3]) && (i + 4 == s.size() || !is_digit(s[i + 4]));
    if (!separator) out.push_back(s[i]);
  }
  return out;
}

std::optional<std::string> last_boxed(std::string_view text) {
  constexpr std::string_view kBoxed = "\\boxed{";
  for (size_t from = text.size(); from > 0;) {
    const size_t start = text.rfind(kBoxed, from - 1);
    if (start == std::string_view::npos) return std::nullopt;
    int depth = 1;
    for (size_t i = start + kBoxed.size(); i < text.size(); ++i) {
      if (text[i] == '{') {
        ++depth;
      } else if (text[i] == '}' && --depth == 0) {
        return std::string(trim(text.substr(start + kBoxed.size(), i - start - kBoxed.size())));
      }
    }
    from = start;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> extract_reference_answer(std::string_view text, ReferenceExtraction kind) {
  std::optional<std::string> answer;
  switch (kind) {
    case ReferenceExtraction::kNone: return std::string(text);
    case ReferenceExtraction::kGsm8k: {
      const size_t mark = text.rfind("####");
      if (mark == std::string_view::npos) return std::nullopt;
      answer = without_thousands_separators(trim(text.substr(mark + 4)));
      break;
    }
    case ReferenceExtraction::kBoxed: answer = last_boxed(text); break;
  }
  if (!answer || answer->empty()) return std::nullopt;
  return answer;
}

}  // namespace spct::data
