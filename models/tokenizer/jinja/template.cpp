#include "models/tokenizer/jinja/template.h"

#include "models/tokenizer/jinja/interpreter.h"
#include "models/tokenizer/jinja/lexer.h"
#include "models/tokenizer/jinja/parser.h"
#include "models/tokenizer/jinja/text.h"

namespace spct::tokenizer::jinja {

Template Template::parse(std::string_view source, const Limits& limits) {
  std::string normalized = normalize_newlines(source);
  // Strict UTF-8: the text functions read bad bytes leniently, but a template that has them is a broken file.
  if (const size_t bad = text::find_invalid(normalized); bad != std::string_view::npos) {
    fail_at(normalized, bad, "template is not valid UTF-8");
  }
  Body body = jinja::parse(normalized, tokenize(normalized), limits.max_nesting);
  return Template(std::move(normalized), std::move(body), limits);
}

std::string Template::render(const nlohmann::ordered_json& variables) const {
  if (!variables.is_object()) throw TemplateError("template variables must be a JSON object", 0, 0);
  Value root = from_json(variables);
  Interpreter interpreter(source_, limits_);
  return interpreter.render(body_, root.as_dict());
}

}  // namespace spct::tokenizer::jinja
