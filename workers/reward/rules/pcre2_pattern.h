// A compiled PCRE2 pattern (8-bit, UTF mode): RAII ownership of the pcre2_code, JIT-compiled where available.
//
// Thread safety: a Pcre2Pattern is immutable after construction; matches() may run on many threads at once
// (each call allocates its own match data, as PCRE2 requires).
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace spct::reward {

class Pcre2Pattern {
 public:
  enum class Anchoring {
    kAnywhere,   // the pattern may match any substring
    kWholeText,  // the pattern must match the whole subject, start to end
  };

  // Compiles `pattern`. In kWholeText mode '.' also matches newlines, so "<think>.*</think>.*" spans lines.
  // Throws spct::UsageError naming `config_key`, the pattern, PCRE2's message and the error offset in the
  // pattern when it does not compile.
  Pcre2Pattern(const std::string& pattern, Anchoring anchoring, const std::string& config_key);
  ~Pcre2Pattern();

  Pcre2Pattern(const Pcre2Pattern&) = delete;
  Pcre2Pattern& operator=(const Pcre2Pattern&) = delete;

  // Whether the pattern matches `subject`. Subjects need not be valid UTF-8 (invalid sequences never match a
  // character). A subject that exhausts PCRE2's match or depth limit (catastrophic backtracking) does not match.
  // Throws spct::Error for any other PCRE2 failure (out of memory).
  bool matches(std::string_view subject) const;

  const std::string& pattern() const { return pattern_; }

 private:
  struct Code;  // hides pcre2.h from includers
  const std::string pattern_;
  const std::unique_ptr<Code> code_;
};

}  // namespace spct::reward
