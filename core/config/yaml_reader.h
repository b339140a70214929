// Reads YAML text into a ConfigNode tree. The only translation unit in spct that includes yaml-cpp.
#pragma once

#include <string>

#include "core/config/node.h"

namespace spct::config {

// Parses `text` as one YAML document; `origin` names it in locations ("configs/a.yaml", "<command line>").
// Throws spct::UsageError naming origin, line and column on a syntax error or a duplicate key, and on input
// that is not text (NUL bytes, invalid UTF-8). An empty document yields a kNull node.
ConfigNode parse_yaml(const std::string& text, const std::string& origin);

// Reads and parses a file. Throws spct::UsageError when it cannot be read.
ConfigNode read_yaml_file(const std::string& path);

}  // namespace spct::config
