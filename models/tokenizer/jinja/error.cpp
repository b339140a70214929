#include "models/tokenizer/jinja/error.h"

namespace spct::tokenizer::jinja {
namespace {

std::string describe(const std::string& message, size_t line, size_t column) {
  if (line == 0) return message;
  return "line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + message;
}

}  // namespace

TemplateError::TemplateError(std::string message, size_t line, size_t column, bool raised)
    : InputError(describe(message, line, column)),
      message_(std::move(message)),
      line_(line),
      column_(column),
      raised_(raised) {}

SourcePosition position_of(std::string_view source, size_t offset) {
  SourcePosition position{1, 1};
  for (size_t i = 0; i < offset && i < source.size(); ++i) {
    const auto byte = static_cast<unsigned char>(source[i]);
    if (byte == '\n') {
      ++position.line;
      position.column = 1;
    } else if ((byte & 0xC0) != 0x80) {  // count characters, not UTF-8 continuation bytes
      ++position.column;
    }
  }
  return position;
}

void fail_at(std::string_view source, size_t offset, const std::string& message, bool raised) {
  const SourcePosition position = position_of(source, offset);
  throw TemplateError(message, position.line, position.column, raised);
}

}  // namespace spct::tokenizer::jinja
