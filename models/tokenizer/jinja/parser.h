// The parser: tokens -> syntax tree, for the Jinja subset chat templates use: {{ }} output; if/elif/else, for
// (with else, a filter condition and tuple targets), set (plain, namespace attribute, tuple and block forms),
// macro, break/continue, raw and transformers' generation blocks; expressions with Jinja's precedence (conditional
// expressions, or/and/not, comparisons and in, + - ~ * / // % **, filters, tests, calls, attributes, subscripts and
// slices, list/tuple/dict literals). Nesting is limited (Limits::max_nesting) so that a hostile template cannot
// exhaust the stack.
//
// Thread safety: pure function.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "models/tokenizer/jinja/ast.h"
#include "models/tokenizer/jinja/lexer.h"

namespace spct::tokenizer::jinja {

// The statements of the template `source` was tokenized into. Throws TemplateError naming the line and column of
// a syntax error, an unknown tag, a missing end tag or nesting deeper than `max_nesting`.
Body parse(std::string_view source, const std::vector<Token>& tokens, size_t max_nesting);

}  // namespace spct::tokenizer::jinja
