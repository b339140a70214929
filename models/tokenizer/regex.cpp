#include "models/tokenizer/regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "core/error.h"

namespace spct::tokenizer {

struct Regex::Code {
  pcre2_code* pattern = nullptr;
  ~Code() { pcre2_code_free(pattern); }
};

namespace {

std::string pcre2_message(int error) {
  PCRE2_UCHAR buffer[256];
  const int length = pcre2_get_error_message(error, buffer, sizeof buffer);
  return length < 0 ? "PCRE2 error " + std::to_string(error) : std::string(reinterpret_cast<char*>(buffer));
}

// One match-data block per thread, big enough for the whole-match offsets every pattern here needs; keeps
// find_all() free of allocations and of shared mutable state.
pcre2_match_data* thread_match_data() {
  struct Holder {
    pcre2_match_data* data = pcre2_match_data_create(1, nullptr);
    ~Holder() { pcre2_match_data_free(data); }
  };
  thread_local Holder holder;
  if (holder.data == nullptr) throw std::bad_alloc();
  return holder.data;
}

}  // namespace

Regex::Regex(const std::string& pattern, bool literal, const std::string& where) : code_(std::make_unique<Code>()) {
  if (literal) {
    // A literal needs no regex engine: find_all searches for it directly, several times faster than PCRE2
    // for the one-character patterns (" ", "▁") that SentencePiece-style files replace and split on.
    literal_ = pattern;
    return;
  }
  int error = 0;
  PCRE2_SIZE error_offset = 0;
  // The pattern's own UTF-8 is checked here; subjects are checked once per encode(), not per match.
  const uint32_t options = PCRE2_UTF | PCRE2_UCP;
  code_->pattern = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), options, &error,
                                 &error_offset, nullptr);
  if (code_->pattern == nullptr) {
    throw InputError(where + ": the regex does not compile at offset " + std::to_string(error_offset) + ": " +
                     pcre2_message(error));
  }
  // A JIT is a speed-up, not a requirement: without one (an unsupported CPU, or PCRE2 built without it)
  // pcre2_match interprets the pattern.
  jit_ = pcre2_jit_compile(code_->pattern, PCRE2_JIT_COMPLETE) == 0;
}

Regex::~Regex() = default;

std::unique_ptr<Regex> Regex::from_pattern_json(const JsonView& pattern) {
  pattern.require_object();
  const auto regex = pattern.find("Regex");
  const auto literal = pattern.find("String");
  if (!regex && !literal) pattern.fail("expected {\"Regex\": ...} or {\"String\": ...}");
  const JsonView& source = regex ? *regex : *literal;
  return std::make_unique<Regex>(source.as_string(), !regex, source.file() + ": " + source.path());
}

std::string Regex::replace_all(std::string_view text, std::string_view replacement) const {
  thread_local std::vector<std::pair<size_t, size_t>> matches;
  matches.clear();
  find_all(text, matches);
  if (matches.empty()) return std::string(text);
  std::string out;
  out.reserve(text.size() + matches.size() * replacement.size());
  size_t position = 0;
  for (const auto& [begin, end] : matches) {
    out.append(text.substr(position, begin - position)).append(replacement);
    position = end;
  }
  out.append(text.substr(position));
  return out;
}

void Regex::find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>& matches) const {
  if (literal_) {
    if (literal_->empty()) return;  // only empty matches, which are never reported
    for (size_t at = text.find(*literal_); at != std::string_view::npos;
         at = text.find(*literal_, at + literal_->size())) {
      matches.emplace_back(at, at + literal_->size());
    }
    return;
  }
  pcre2_match_data* data = thread_match_data();
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t start = 0;
  while (start < text.size()) {
    const int rc = jit_ ? pcre2_jit_match(code_->pattern, subject, text.size(), start, 0, data, nullptr)
                        : pcre2_match(code_->pattern, subject, text.size(), start, PCRE2_NO_UTF_CHECK, data, nullptr);
    if (rc == PCRE2_ERROR_NOMATCH) return;
    if (rc < 0) throw Error(ExitCode::kFailure, "tokenizer regex match failed: " + pcre2_message(rc));
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(data);
    const size_t begin = ovector[0], end = ovector[1];
    if (end > begin) {
      matches.emplace_back(begin, end);
      start = end;
    } else {
      // An empty match: step over one whole character so the next search starts on a character boundary.
      start = begin + 1;
      while (start < text.size() && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) ++start;
    }
  }
}

}  // namespace spct::tokenizer
