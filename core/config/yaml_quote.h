// A string as a YAML double-quoted scalar: what the config renderer and the pipeline's inline-config writer
// emit for every string, so that any text (quotes, backslashes, newlines, tabs, leading spaces, `#`) reads back
// exactly.
#pragma once

#include <string>

namespace spct::config {

// "text" with `"`, `\`, newline and tab escaped.
std::string yaml_double_quoted(const std::string& text);

}  // namespace spct::config
