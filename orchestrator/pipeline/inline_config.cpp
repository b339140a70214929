#include "orchestrator/pipeline/inline_config.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <sstream>

#include "core/config/yaml_quote.h"

namespace spct::pipeline {
namespace {
using config::ConfigNode;

// Keys are config names ([A-Za-z0-9_.-]); anything else is quoted.
std::string key_text(const std::string& key) {
  const bool plain = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == '.';
  });
  return plain ? key : config::yaml_double_quoted(key);
}

// A node as flow YAML ("[a, b]", "{k: v}", "\"x\""), for list items and values inside flow collections.
std::string flow(const ConfigNode& node) {
  switch (node.kind) {
    case ConfigNode::Kind::kNull: return "null";
    case ConfigNode::Kind::kScalar: return config::yaml_double_quoted(node.scalar);
    case ConfigNode::Kind::kSequence: {
      std::string out = "[";
      for (std::size_t i = 0; i < node.items.size(); ++i) out += (i == 0 ? "" : ", ") + flow(node.items[i]);
      return out + "]";
    }
    case ConfigNode::Kind::kMap: {
      std::string out = "{";
      for (std::size_t i = 0; i < node.entries.size(); ++i) {
        out += (i == 0 ? "" : ", ") + key_text(node.entries[i].key) + ": " + flow(node.entries[i].value);
      }
      return out + "}";
    }
  }
  return "null";
}

// Mappings in block style, one key per line; everything below a key that is not a mapping in flow style.
void block(const ConfigNode& map, int indent, std::ostringstream& out) {
  for (const ConfigNode::Entry& entry : map.entries) {
    out << std::string(static_cast<std::size_t>(indent), ' ') << key_text(entry.key) << ":";
    if (entry.value.kind == ConfigNode::Kind::kMap && !entry.value.entries.empty()) {
      out << "\n";
      block(entry.value, indent + 2, out);
    } else if (entry.value.kind == ConfigNode::Kind::kNull) {
      out << "\n";
    } else {
      out << " " << flow(entry.value) << "\n";
    }
  }
}

// `extends` entries made absolute against `base_dir`.
ConfigNode with_absolute_extends(ConfigNode config, const std::string& base_dir) {
  for (ConfigNode::Entry& entry : config.entries) {
    if (entry.key != "extends") continue;
    auto absolute = [&](ConfigNode& name) {
      if (name.kind != ConfigNode::Kind::kScalar || std::filesystem::path(name.scalar).is_absolute()) return;
      name.scalar = (std::filesystem::path(base_dir) / name.scalar).lexically_normal().string();
    };
    absolute(entry.value);
    for (ConfigNode& item : entry.value.items) absolute(item);
  }
  return config;
}

}  // namespace

std::string render_inline_config(const ConfigNode& config, const std::string& where, const std::string& base_dir) {
  std::ostringstream out;
  out << "# Written by `spct pipeline` from the inline config at " << where << "; edit that, not this file.\n";
  block(with_absolute_extends(config, base_dir), 0, out);
  return out.str();
}

}  // namespace spct::pipeline
