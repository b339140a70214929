#include "workers/reward/rules/pcre2_pattern.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <array>

#include "core/error.h"

namespace spct::reward {

namespace {

std::string pcre2_message(int error_code) {
  std::array<PCRE2_UCHAR, 256> buffer{};
  const int length = pcre2_get_error_message(error_code, buffer.data(), buffer.size());
  if (length < 0) return "PCRE2 error " + std::to_string(error_code);
  return std::string(reinterpret_cast<const char*>(buffer.data()), static_cast<size_t>(length));
}

struct MatchDataDeleter {
  void operator()(pcre2_match_data* data) const { pcre2_match_data_free(data); }
};

}  // namespace

struct Pcre2Pattern::Code {
  pcre2_code* code = nullptr;
  ~Code() { pcre2_code_free(code); }
};

Pcre2Pattern::Pcre2Pattern(const std::string& pattern, Anchoring anchoring, const std::string& config_key)
    : pattern_(pattern), code_(std::make_unique<Code>()) {
  // MATCH_INVALID_UTF: completions come from a sampler and may cut a UTF-8 sequence anywhere.
  uint32_t options = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
  if (anchoring == Anchoring::kWholeText) options |= PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_DOTALL;
  int error_code = 0;
  PCRE2_SIZE error_offset = 0;
  code_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), options, &error_code,
                              &error_offset, nullptr);
  if (code_->code == nullptr) {
    throw UsageError(config_key + ": invalid PCRE2 pattern \"" + pattern + "\": " + pcre2_message(error_code) +
                     " at offset " + std::to_string(error_offset));
  }
  // JIT is an optimisation only: where the platform lacks it, pcre2_match interprets the same code.
  static_cast<void>(pcre2_jit_compile(code_->code, PCRE2_JIT_COMPLETE));
}

Pcre2Pattern::~Pcre2Pattern() = default;

bool Pcre2Pattern::matches(std::string_view subject) const {
  // One ovector pair is enough: only whether it matched is used, not where.
  const std::unique_ptr<pcre2_match_data, MatchDataDeleter> data(pcre2_match_data_create(1, nullptr));
  if (!data) throw Error(ExitCode::kFailure, "PCRE2: out of memory matching \"" + pattern_ + "\"");
  // PCRE2 10.42 rejects a null subject even when it is empty, and an empty string_view may hold one.
  const char* text = subject.data() != nullptr ? subject.data() : "";
  const int rc =
      pcre2_match(code_->code, reinterpret_cast<PCRE2_SPTR>(text), subject.size(), 0, 0, data.get(), nullptr);
  if (rc >= 0) return true;
  if (rc == PCRE2_ERROR_NOMATCH || rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
      rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT) {
    return false;
  }
  throw Error(ExitCode::kFailure, "PCRE2: matching \"" + pattern_ + "\" failed: " + pcre2_message(rc));
}

}  // namespace spct::reward
