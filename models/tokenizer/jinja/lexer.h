// The lexer: template source -> tokens, with Jinja's whitespace control as transformers configures it
// (trim_blocks and lstrip_blocks on, keep_trailing_newline off):
//   - "{%-", "{{-", "{#-" remove all whitespace before the tag, "-%}", "-}}", "-#}" all whitespace after it;
//   - a block tag or comment alone on its line takes the line's leading spaces and tabs with it (lstrip_blocks)
//     and the one newline after it (trim_blocks), unless written "{%+" or "+%}";
//   - "\r\n" and "\r" become "\n", and a single newline at the very end of the template is dropped.
// Text between tags is one kText token; "{% raw %}...{% endraw %}" is text too.
//
// Thread safety: pure function.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace spct::tokenizer::jinja {

struct Token {
  enum class Kind {
    kText,           // literal output (`text`)
    kVariableBegin,  // {{
    kVariableEnd,    // }}
    kBlockBegin,     // {%
    kBlockEnd,       // %}
    kName,           // identifier or keyword (`text`)
    kString,         // string literal, escapes resolved (`text`)
    kInteger,        // `text` holds the digits, underscores removed (0x/0o/0b prefixes kept)
    kFloat,          // `text` holds the literal, underscores removed
    kOperator,       // `text` holds the operator, e.g. "==", "//", "|"
    kEnd,            // end of the template
  };
  Kind kind;
  std::string text;
  size_t offset;  // byte offset in the normalized source
};

// The source with newlines normalized as described above; offsets in tokens and errors refer to it.
std::string normalize_newlines(std::string_view source);

// The tokens of `source` (already normalized), ending with kEnd. Throws TemplateError (line and column) for an
// unterminated tag, comment or string, an unexpected character or unbalanced brackets.
std::vector<Token> tokenize(std::string_view source);

}  // namespace spct::tokenizer::jinja
