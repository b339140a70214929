// Regex: a compiled PCRE2 pattern in UTF-8 + Unicode-property mode (\p{L}, \s and \w follow Unicode, as the
// Oniguruma regexes of Hugging Face tokenizers do), JIT-compiled when PCRE2 has a JIT for this machine.
// Used by the pre-tokenizer to split text into words.
//
// Ownership: owns the compiled pattern (RAII). Thread safety: immutable after construction; find_all() may be
// called concurrently (match data is per thread).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "models/tokenizer/json_view.h"

namespace spct::tokenizer {

class Regex {
 public:
  // Compiles `pattern` (a literal is kept as text and searched for directly). Throws spct::InputError
  // "<where>: ..." with PCRE2's message and the offset in the pattern when it does not compile; `where` names
  // the pattern's origin (file and JSON path).
  Regex(const std::string& pattern, bool literal, const std::string& where);

  // The pattern of a tokenizer.json component: {"Regex": "..."} or {"String": "..."} (matched literally).
  // Throws InputError naming the file and JSON path when it is neither or does not compile.
  static std::unique_ptr<Regex> from_pattern_json(const JsonView& pattern);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // Appends the [begin, end) byte ranges of the successive non-overlapping matches in `text`.
  // REQUIRES: text is valid UTF-8 (it is not checked again here).
  void find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>& matches) const;

  // `text` with every match of find_all() replaced by `replacement`.
  std::string replace_all(std::string_view text, std::string_view replacement) const;

  bool jit() const { return jit_; }

 private:
  struct Code;
  std::unique_ptr<Code> code_;          // the compiled pattern (none for a literal)
  std::optional<std::string> literal_;  // the text of a literal pattern
  bool jit_ = false;
};

}  // namespace spct::tokenizer
