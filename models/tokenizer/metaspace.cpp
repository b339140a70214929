#include "models/tokenizer/metaspace.h"

#include "models/tokenizer/utf8.h"

namespace spct::tokenizer {

MetaspaceOptions MetaspaceOptions::from_json(const JsonView& json) {
  MetaspaceOptions options;
  if (const auto replacement = json.find("replacement")) {
    options.replacement = replacement->as_string();
    size_t end = 0;
    if (options.replacement.empty() || utf8::find_invalid(options.replacement) != utf8::kValid ||
        (utf8::next(options.replacement, end), end != options.replacement.size())) {
      replacement->fail("the replacement must be exactly one character, found \"" + options.replacement + "\"");
    }
  }
  if (const auto scheme = json.find("prepend_scheme")) {
    const std::string& name = scheme->as_string();
    if (name == "always") {
      options.prepend = Prepend::kAlways;
    } else if (name == "first") {
      options.prepend = Prepend::kFirst;
    } else if (name == "never") {
      options.prepend = Prepend::kNever;
    } else {
      scheme->fail("unknown prepend_scheme \"" + name + "\" (choices: always, first, never)");
    }
  } else {
    options.prepend = json.bool_or("add_prefix_space", true) ? Prepend::kAlways : Prepend::kNever;
  }
  options.split = json.bool_or("split", true);
  return options;
}

}  // namespace spct::tokenizer
