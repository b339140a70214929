// TemplateError: a chat template that cannot be parsed or that fails while rendering, with the template line and
// column where it happened. raise_exception() in a template throws it with the template's own message.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/error.h"

namespace spct::tokenizer::jinja {

class TemplateError : public InputError {
 public:
  // `what()` is "line L, column C: message"; line 0 means the error has no place in the template.
  // `raised` marks an error the template raised itself with raise_exception().
  TemplateError(std::string message, size_t line, size_t column, bool raised = false);

  const std::string& message() const { return message_; }
  bool raised() const { return raised_; }
  size_t line() const { return line_; }
  size_t column() const { return column_; }

 private:
  std::string message_;
  size_t line_;
  size_t column_;
  bool raised_;
};

// The 1-based line and column (in characters) of byte `offset` of `source`.
struct SourcePosition {
  size_t line = 0;
  size_t column = 0;
};
SourcePosition position_of(std::string_view source, size_t offset);

// A TemplateError at byte `offset` of `source`.
[[noreturn]] void fail_at(std::string_view source, size_t offset, const std::string& message, bool raised = false);

}  // namespace spct::tokenizer::jinja
