#include "core/config/node.h"

namespace spct::config {

std::string SourceLocation::str() const {
  if (line <= 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

const ConfigNode* ConfigNode::find(const std::string& key) const {
  for (const Entry& entry : entries) {
    if (entry.key == key) return &entry.value;
  }
  return nullptr;
}

std::string ConfigNode::kind_name() const {
  switch (kind) {
    case Kind::kNull: return "nothing";
    case Kind::kScalar: return "a value";
    case Kind::kSequence: return "a list";
    case Kind::kMap: return "a mapping";
  }
  return "nothing";
}

}  // namespace spct::config
