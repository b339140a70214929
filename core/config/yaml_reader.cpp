#include "core/config/yaml_reader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "core/error.h"

namespace spct::config {
namespace {

SourceLocation location_of(const YAML::Mark& mark, const std::string& origin) {
  // yaml-cpp counts from 0 and reports -1 for nodes it made up (e.g. an empty value).
  if (mark.line < 0) return SourceLocation{origin, 0, 0};
  return SourceLocation{origin, mark.line + 1, mark.column + 1};
}

ConfigNode convert(const YAML::Node& node, const std::string& origin) {
  ConfigNode out;
  out.location = location_of(node.Mark(), origin);
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null: out.kind = ConfigNode::Kind::kNull; break;
    case YAML::NodeType::Scalar:
      out.kind = ConfigNode::Kind::kScalar;
      out.scalar = node.Scalar();
      break;
    case YAML::NodeType::Sequence:
      out.kind = ConfigNode::Kind::kSequence;
      for (const YAML::Node& item : node) out.items.push_back(convert(item, origin));
      break;
    case YAML::NodeType::Map: {
      out.kind = ConfigNode::Kind::kMap;
      std::set<std::string> seen;
      for (const auto& kv : node) {
        const SourceLocation key_location = location_of(kv.first.Mark(), origin);
        if (!kv.first.IsScalar()) {
          throw UsageError(key_location.str() + ": a key must be a plain name, not " +
                           (kv.first.IsMap() ? "a mapping" : "a list"));
        }
        const std::string key = kv.first.Scalar();
        // yaml-cpp keeps both copies of a repeated key; the second would silently win, so refuse it.
        if (!seen.insert(key).second) {
          throw UsageError(key_location.str() + ": key '" + key + "' appears twice in the same mapping");
        }
        out.entries.push_back(ConfigNode::Entry{key, key_location, convert(kv.second, origin)});
      }
      break;
    }
  }
  return out;
}

// Byte offset of the first byte that makes `text` not UTF-8 text, or npos.
std::size_t first_non_text_byte(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == 0) return i;
    std::size_t extra = 0;
    if (c < 0x80)
      extra = 0;
    else if ((c & 0xE0) == 0xC0 && c >= 0xC2)
      extra = 1;
    else if ((c & 0xF0) == 0xE0)
      extra = 2;
    else if ((c & 0xF8) == 0xF0 && c <= 0xF4)
      extra = 3;
    else
      return i;
    if (i + extra >= text.size() && extra > 0) return i;  // a multi-byte sequence cut off by the end
    for (std::size_t k = 1; k <= extra; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return i;
    }
    i += extra + 1;
  }
  return std::string::npos;
}

}  // namespace

ConfigNode parse_yaml(const std::string& text, const std::string& origin) {
  const std::size_t bad = first_non_text_byte(text);
  if (bad != std::string::npos) {
    const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(bad), '\n');
    throw UsageError(origin + ":" + std::to_string(line) + ": not a text file: byte offset " + std::to_string(bad) +
                     " is not valid UTF-8 (is this a YAML config?)");
  }
  try {
    return convert(YAML::Load(text), origin);
  } catch (const YAML::Exception& e) {
    throw UsageError(location_of(e.mark, origin).str() + ": YAML syntax error: " + e.msg);
  }
}

ConfigNode read_yaml_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError(path + ": cannot open config file");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw UsageError(path + ": cannot read config file");
  return parse_yaml(buffer.str(), path);
}

}  // namespace spct::config
