// A Jinja template as Hugging Face chat templates use it, rendered the way transformers' apply_chat_template
// renders it (Jinja2 in an immutable sandbox with trim_blocks and lstrip_blocks, loop controls, a JSON `tojson`
// that keeps non-ASCII text, and the globals raise_exception, strftime_now, namespace, dict and range). The subset
// is what real chat templates use; see models/tokenizer/jinja/parser.h for the syntax and builtins.h for the
// filters, tests and methods.
//
// A template is untrusted input (it comes with a model): parsing and rendering are bounded by Limits, so that no
// template can exhaust the stack, loop forever or grow memory without bound; every failure is a TemplateError
// naming the template line and column.
//
// Thread safety: a Template is immutable after parse(); render() may run on several threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "models/tokenizer/jinja/ast.h"
#include "models/tokenizer/jinja/error.h"
#include "models/tokenizer/jinja/value.h"

namespace spct::tokenizer::jinja {

struct Limits {
  // Nesting of blocks and expressions in the source, of values (lists in lists), and of macro calls.
  size_t max_nesting = 100;
  // Work while rendering: one step per statement, expression and loop iteration, plus the size of each list and
  // (per 64 bytes) string built. Real chat templates take a few thousand steps per conversation.
  uint64_t max_steps = 5'000'000;
  // The rendered text, and any string built on the way.
  size_t max_output_bytes = 16u << 20;
};

class Template {
 public:
  // Throws TemplateError for source that is not UTF-8 or not a template this library reads.
  static Template parse(std::string_view source, const Limits& limits = {});

  // The text for the variables in `variables` (an object: e.g. messages, add_generation_prompt, bos_token).
  // Throws TemplateError when rendering fails, including raise_exception() called by the template (its message
  // is TemplateError::message()).
  std::string render(const nlohmann::ordered_json& variables) const;

 private:
  Template(std::string source, Body body, const Limits& limits)
      : source_(std::move(source)), body_(std::move(body)), limits_(limits) {}

  std::string source_;  // newlines normalized; positions in errors refer to it
  Body body_;
  Limits limits_;
};

}  // namespace spct::tokenizer::jinja
