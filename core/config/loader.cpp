#include "core/config/loader.h"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "core/config/checks.h"
#include "core/config/presets.h"
#include "core/config/schema.h"
#include "core/config/suggest.h"
#include "core/config/yaml_reader.h"
#include "core/error.h"

namespace spct::config {
namespace fs = std::filesystem;

std::string Origin::str() const {
  switch (kind) {
    // A preset's settings are defaults chosen by grpo.preset; their location names it ("preset dapo").
    case Kind::kDefault: return location.file.empty() ? "default" : location.file;
    case Kind::kFile: return location.str();
    case Kind::kOverride: return "override";
  }
  return "default";
}

namespace {

constexpr const char* kExtendsKey = "extends";

// Problems are collected rather than thrown one at a time, so a user fixes a config in one pass.
class Problems {
 public:
  void add(const std::string& message) { messages_.push_back(message); }
  template <class F>
  void collect(F&& attempt) {
    try {
      attempt();
    } catch (const UsageError& e) {
      add(e.what());
    }
  }
  void throw_if_any() const {
    if (messages_.empty()) return;
    std::string text = messages_.size() == 1 ? "invalid config:"
                                             : "invalid config (" + std::to_string(messages_.size()) + " problems):";
    for (const std::string& message : messages_) text += "\n  " + message;
    throw UsageError(text);
  }

 private:
  std::vector<std::string> messages_;
};

// Overlays `top` on `base`: mappings merge key by key, anything else replaces.
void merge_into(ConfigNode& base, const ConfigNode& top) {
  if (base.kind != ConfigNode::Kind::kMap || top.kind != ConfigNode::Kind::kMap) {
    base = top;
    return;
  }
  for (const ConfigNode::Entry& entry : top.entries) {
    auto it = std::find_if(base.entries.begin(), base.entries.end(),
                           [&](const ConfigNode::Entry& e) { return e.key == entry.key; });
    if (it == base.entries.end()) {
      base.entries.push_back(entry);
    } else {
      it->key_location = entry.key_location;
      merge_into(it->value, entry.value);
    }
  }
}

struct Document {
  bool from_file;  // read `origin` from disk, or parse `text` (or take `tree` when it is set)
  std::string text;
  std::string origin;  // a path, or a name like "<embedded grpo_add>"
  std::string base_dir;
  const ConfigNode* tree = nullptr;  // an inline config already parsed; not owned
};

class TreeLoader {
 public:
  explicit TreeLoader(std::vector<std::string>& files) : files_(files) {}

  // Loads one document and everything it extends, merged. `chain` holds the files being loaded, for cycles.
  ConfigNode load(const Document& doc, std::vector<std::string>& chain) {
    ConfigNode root = doc.tree != nullptr ? *doc.tree
                      : doc.from_file     ? read_yaml_file(doc.origin)
                                          : parse_yaml(doc.text, doc.origin);
    files_.push_back(doc.origin);
    if (root.kind == ConfigNode::Kind::kNull) {
      throw UsageError(doc.origin + ": the config file is empty: expected a mapping of sections such as 'run:'");
    }
    if (root.kind != ConfigNode::Kind::kMap) {
      throw UsageError(root.location.str() + ": the top level of a config must be a mapping of sections, not " +
                       root.kind_name());
    }
    ConfigNode merged;
    merged.kind = ConfigNode::Kind::kMap;
    merged.location = root.location;
    ConfigNode own = root;
    own.entries.clear();
    for (const ConfigNode::Entry& entry : root.entries) {
      if (entry.key != kExtendsKey) {
        own.entries.push_back(entry);
        continue;
      }
      for (const ConfigNode& base : extends_list(entry.value)) {
        merge_into(merged, load_base(base, doc, chain));
      }
    }
    merge_into(merged, own);
    return merged;
  }

 private:
  static std::vector<ConfigNode> extends_list(const ConfigNode& value) {
    if (value.kind == ConfigNode::Kind::kScalar) return {value};
    if (value.kind == ConfigNode::Kind::kSequence) {
      for (const ConfigNode& item : value.items) {
        if (item.kind != ConfigNode::Kind::kScalar) {
          throw UsageError(item.location.str() + ": extends: expected a file name, got " + item.kind_name());
        }
      }
      return value.items;
    }
    throw UsageError(value.location.str() + ": extends: expected a file name or a list of file names, got " +
                     value.kind_name());
  }

  ConfigNode load_base(const ConfigNode& name, const Document& from, std::vector<std::string>& chain) {
    const fs::path path =
        fs::path(name.scalar).is_absolute() ? fs::path(name.scalar) : fs::path(from.base_dir) / name.scalar;
    std::error_code error;
    if (!fs::is_regular_file(path, error)) {
      throw UsageError(name.location.str() + ": extends: file not found: " + path.string());
    }
    const std::string canonical = fs::weakly_canonical(path).string();
    if (std::find(chain.begin(), chain.end(), canonical) != chain.end()) {
      std::string cycle;
      for (const std::string& link : chain) cycle += link + " -> ";
      throw UsageError(name.location.str() + ": extends: circular chain: " + cycle + canonical);
    }
    chain.push_back(canonical);
    ConfigNode tree = load(Document{true, "", path.string(), path.parent_path().string()}, chain);
    chain.pop_back();
    return tree;
  }

  std::vector<std::string>& files_;
};

bool is_section(const std::string& name) {
  const std::vector<std::string> names = section_names();
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string unknown_key_message(const std::string& key) {
  const std::string hint = suggest_key(key);
  return "'" + key + "' is not a known setting" + (hint.empty() ? "" : "; did you mean '" + hint + "'?") +
         " (see docs/configuration.md)";
}

// Whether some field's key starts with "<prefix>." (a group such as model.lora).
bool has_fields_under(const std::string& prefix) {
  const std::string head = prefix + ".";
  return std::any_of(schema().begin(), schema().end(),
                     [&](const FieldSpec& field) { return field.key.starts_with(head); });
}

// Assigns the entries of `map` under the dotted key `prefix`. A mapping that is not itself a field is a group of
// fields written nested ("lora: {rank: 8}" is model.lora.rank), so nested YAML and dotted keys mean the same.
void apply_entries(const ConfigNode& map, const std::string& prefix, ResolvedConfig& out, Problems& problems) {
  for (const ConfigNode::Entry& entry : map.entries) {
    const std::string key = prefix + "." + entry.key;
    const FieldSpec* field = find_field(key);
    if (field == nullptr && entry.value.kind == ConfigNode::Kind::kMap && has_fields_under(key)) {
      apply_entries(entry.value, key, out, problems);
      continue;
    }
    if (field == nullptr) {
      problems.add(entry.key_location.str() + ": " + unknown_key_message(key));
      continue;
    }
    if (entry.value.kind == ConfigNode::Kind::kNull) {
      problems.add(entry.key_location.str() + ": " + key + ": has no value (remove the line to use the default)");
      continue;
    }
    problems.collect([&] {
      field->assign(out.config, entry.value);
      out.origins[key] = Origin{Origin::Kind::kFile, entry.value.location};
    });
  }
}

// Assigns every leaf of the merged tree through the schema.
void apply_tree(const ConfigNode& root, ResolvedConfig& out, Problems& problems) {
  for (const ConfigNode::Entry& section : root.entries) {
    if (!is_section(section.key)) {
      const std::string hint = closest_word(section.key, section_names());
      problems.add(section.key_location.str() + ": '" + section.key + "' is not a config section" +
                   (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
      continue;
    }
    if (section.value.kind != ConfigNode::Kind::kMap) {
      if (section.value.kind == ConfigNode::Kind::kNull) continue;  // "grpo:" with nothing under it
      problems.add(section.value.location.str() + ": " + section.key + ": expected a mapping of settings, got " +
                   section.value.kind_name());
      continue;
    }
    apply_entries(section.value, section.key, out, problems);
  }
}

void apply_overrides(const std::vector<std::string>& overrides, ResolvedConfig& out, Problems& problems) {
  for (std::size_t i = 0; i < overrides.size(); ++i) {
    const std::string& text = overrides[i];
    const std::string where = "<command line> argument '" + text + "'";
    const std::size_t eq = text.find('=');
    if (eq == std::string::npos || eq == 0) {
      problems.add(where + ": an override must look like section.key=value");
      continue;
    }
    const std::string key = text.substr(0, eq);
    const FieldSpec* field = find_field(key);
    if (field == nullptr) {
      problems.add(where + ": " + unknown_key_message(key));
      continue;
    }
    problems.collect([&] {
      const std::string value = text.substr(eq + 1);
      ConfigNode node;
      if (field->type == FieldType::kString) {
        // Taken verbatim: a string override should not need YAML quoting ("data.path=a: b.jsonl").
        node.kind = ConfigNode::Kind::kScalar;
        node.scalar = value;
      } else {
        node = parse_yaml(value, "<command line>");
        if (node.kind == ConfigNode::Kind::kNull) node.kind = ConfigNode::Kind::kScalar;  // "a.b=" -> empty value
      }
      node.location = SourceLocation{where, 0, 0};
      field->assign(out.config, node);
      out.origins[key] = Origin{Origin::Kind::kOverride, SourceLocation{"<command line>", 0, 0}};
    });
  }
}

void check_preset(const std::string& name, const std::string& where, Problems& problems) {
  try {
    preset_settings(name);
  } catch (const UsageError& e) {
    problems.add(where + ": " + e.what());
  }
}

// grpo.preset, taken out of the merged tree and the overrides (the last override wins over the files): its
// settings must apply before everything else, and it is not a field of Config (see presets.h). Returns "none"
// when no preset is named.
std::string take_preset(ConfigNode& tree, std::vector<std::string>& overrides, Problems& problems) {
  std::string name = "none";
  const std::string section = std::string(kPresetKey).substr(0, std::string(kPresetKey).find('.'));
  const std::string field = std::string(kPresetKey).substr(section.size() + 1);
  for (ConfigNode::Entry& entry : tree.entries) {
    if (entry.key != section || entry.value.kind != ConfigNode::Kind::kMap) continue;
    auto& fields = entry.value.entries;
    const auto it =
        std::find_if(fields.begin(), fields.end(), [&](const ConfigNode::Entry& e) { return e.key == field; });
    if (it == fields.end()) continue;
    if (it->value.kind != ConfigNode::Kind::kScalar) {
      problems.add(it->value.location.str() + ": " + kPresetKey + ": expected a preset name, got " +
                   it->value.kind_name());
    } else {
      name = it->value.scalar;
      check_preset(name, it->value.location.str(), problems);
    }
    fields.erase(it);
  }
  const std::string prefix = std::string(kPresetKey) + "=";
  std::erase_if(overrides, [&](const std::string& text) {
    if (!text.starts_with(prefix)) return false;
    name = text.substr(prefix.size());
    check_preset(name, "<command line> argument '" + text + "'", problems);
    return true;
  });
  return name;
}

void apply_preset(const std::string& name, ResolvedConfig& out, Problems& problems) {
  const SourceLocation where{"preset " + name, 0, 0};
  for (const PresetSetting& setting : preset_settings(name)) {
    const FieldSpec* field = find_field(setting.key);
    if (field == nullptr) throw std::logic_error("preset " + name + " sets unknown key " + setting.key);
    problems.collect([&] {
      ConfigNode node;
      node.kind = ConfigNode::Kind::kScalar;
      node.scalar = setting.value;
      node.location = where;
      field->assign(out.config, node);
      out.origins[setting.key] = Origin{Origin::Kind::kDefault, where};
    });
  }
}

ResolvedConfig resolve(const Document& doc, const std::vector<std::string>& overrides) {
  ResolvedConfig out;
  for (const FieldSpec& field : schema()) out.origins[field.key] = Origin{};
  Problems problems;
  ConfigNode tree;
  problems.collect([&] {
    TreeLoader loader(out.files);
    std::vector<std::string> chain;
    if (doc.from_file) {
      std::error_code error;
      chain.push_back(fs::weakly_canonical(doc.origin, error).string());
    }
    tree = loader.load(doc, chain);
  });
  problems.throw_if_any();
  std::vector<std::string> rest = overrides;
  const std::string preset = take_preset(tree, rest, problems);
  problems.throw_if_any();
  apply_preset(preset, out, problems);
  apply_tree(tree, out, problems);
  apply_overrides(rest, out, problems);
  problems.throw_if_any();
  for (const CheckFailure& failure : check_consistency(out.config)) {
    std::string where = "";
    for (const std::string& key : failure.keys) {
      const Origin& origin = out.origins.at(key);
      where += (where.empty() ? "" : ", ") + key + " (" + origin.str() + ")";
    }
    problems.add(failure.message + " [" + where + "]");
  }
  problems.throw_if_any();
  return out;
}

}  // namespace

ResolvedConfig load_config(const std::string& path, const std::vector<std::string>& overrides) {
  if (path.empty()) return load_config_text(embedded_default_config(), kEmbeddedConfigName, ".", overrides);
  std::error_code error;
  if (!fs::exists(path, error)) throw UsageError(path + ": config file not found");
  if (fs::is_directory(path, error)) throw UsageError(path + ": is a directory, expected a YAML config file");
  return resolve(Document{true, "", path, fs::path(path).parent_path().string()}, overrides);
}

ResolvedConfig load_config_text(const std::string& text, const std::string& origin, const std::string& base_dir,
                                const std::vector<std::string>& overrides) {
  if (text.empty()) throw UsageError(origin + ": the config is empty: expected a mapping of sections such as 'run:'");
  return resolve(Document{false, text, origin, base_dir}, overrides);
}

ResolvedConfig load_config_node(const ConfigNode& root, const std::string& base_dir,
                                const std::vector<std::string>& overrides) {
  return resolve(Document{false, "", root.location.str(), base_dir, &root}, overrides);
}

}  // namespace spct::config
