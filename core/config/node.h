// The parsed form of a YAML config file: a small tree of maps, sequences and scalars, each with the file,
// line and column it came from. Only core/config/yaml_reader.cpp touches yaml-cpp; everything else in spct
// works on this tree, so error messages can always point at the text the user wrote.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace spct::config {

struct SourceLocation {
  std::string file;  // a path, or "<command line>" for overrides, "<embedded quickstart>" for the default
  int line = 0;      // 1-based; 0 when unknown
  int column = 0;    // 1-based; 0 when unknown

  // "file:line:column", or just "file" when the position is unknown.
  std::string str() const;
};

struct ConfigNode {
  enum class Kind { kNull, kScalar, kSequence, kMap };

  struct Entry;

  Kind kind = Kind::kNull;
  std::string scalar;             // kScalar: the text as written (quotes removed)
  std::vector<ConfigNode> items;  // kSequence
  std::vector<Entry> entries;     // kMap, in file order; keys are unique
  SourceLocation location;

  // The entry for `key` in a map node, or nullptr.
  const ConfigNode* find(const std::string& key) const;
  // "a mapping", "a list", "a value" or "nothing": used in type-error messages.
  std::string kind_name() const;
};

struct ConfigNode::Entry {
  std::string key;
  SourceLocation key_location;
  ConfigNode value;
};

}  // namespace spct::config
