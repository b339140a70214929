#include "orchestrator/pipeline/shell_quote.h"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace spct::pipeline {

std::string shell_quote(const std::string& word) {
  constexpr std::string_view kSafe = "_-+=.,/:@%";
  const bool safe = !word.empty() && std::all_of(word.begin(), word.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || kSafe.find(c) != std::string_view::npos;
  });
  if (safe) return word;
  std::string quoted = "'";
  for (const char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string shell_join(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& word : words) out += (out.empty() ? "" : " ") + shell_quote(word);
  return out;
}

}  // namespace spct::pipeline
