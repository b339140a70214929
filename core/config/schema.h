// The typed schema of the experiment config: every settable key, its type, default, valid range and meaning.
//
// The table is built once from per-section files (schema_<section>.cpp). Each field binds a dotted key
// ("rollout.group_size") to a member of config::Config, so the default shown to users is the member
// initialiser in config.h and nothing can drift. The loader assigns through the field, the renderer prints
// through it, and `spct config docs` turns the table into docs/configuration.md.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/config/choices.h"
#include "core/config/config.h"
#include "core/config/node.h"

namespace spct::config {

enum class FieldType { kInteger, kNumber, kBool, kString, kStringList, kNumberList };

// "an integer", "a list of numbers", ...: how error messages name a type.
std::string type_name(FieldType type);
// "integer", "list of numbers", ...: the type column of docs/configuration.md.
std::string type_label(FieldType type);

struct FieldSpec {
  std::string key;  // "section.name"
  FieldType type;
  std::string doc;            // one or two sentences for docs/configuration.md
  std::optional<double> min;  // inclusive bounds for numbers (element-wise for lists)
  std::optional<double> max = std::nullopt;
  std::vector<std::string> choices;  // allowed values of a string (an enumeration); empty = any string
  // Converts and checks `node`, then stores it in `config`. Throws spct::UsageError naming the key and the
  // node's location when the type, range or choice is wrong.
  std::function<void(Config& config, const ConfigNode& node)> assign;
  // The field's value in `config` as a YAML flow value (strings double-quoted, lists in brackets); also the
  // canonical form hashed by config_hash().
  std::function<std::string(const Config& config)> render;

  std::string section() const { return key.substr(0, key.find('.')); }
};

// Optional constraints for SchemaBuilder::add.
struct Constraints {
  std::optional<double> min = std::nullopt;
  std::optional<double> max = std::nullopt;
  std::vector<std::string> choices = {};
};

// Read and write access to one member of config::Config; made by bind().
template <class T>
struct Accessor {
  std::function<T&(Config&)> get;
  std::function<const T&(const Config&)> read;
};

// An Accessor for `(config.*section).*member`. Idiom in schema_<section>.cpp:
//   const auto f = [](auto member) { return bind(&Config::run, member); };
//   b.add_integer("steps", f(&RunSection::steps), "Training steps.", {.min = 1});
template <class Section, class T>
Accessor<T> bind(Section Config::*section, T Section::*member) {
  return {[section, member](Config& config) -> T& { return (config.*section).*member; },
          [section, member](const Config& config) -> const T& { return (config.*section).*member; }};
}

// Collects the fields of one section; see schema_run.cpp for the idiom.
class SchemaBuilder {
 public:
  explicit SchemaBuilder(std::vector<FieldSpec>& out) : out_(out) {}

  // Fields added after this call are keyed "<name>.<field>".
  void begin_section(const std::string& name) { section_ = name; }

  void add_integer(const std::string& name, const Accessor<int64_t>& ref, const std::string& doc,
                   const Constraints& constraints = {});
  void add_number(const std::string& name, const Accessor<double>& ref, const std::string& doc,
                  const Constraints& constraints = {});
  void add_bool(const std::string& name, const Accessor<bool>& ref, const std::string& doc);
  void add_string(const std::string& name, const Accessor<std::string>& ref, const std::string& doc,
                  const Constraints& constraints = {});
  void add_string_list(const std::string& name, const Accessor<std::vector<std::string>>& ref, const std::string& doc,
                       const Constraints& constraints = {});
  void add_number_list(const std::string& name, const Accessor<std::vector<double>>& ref, const std::string& doc,
                       const Constraints& constraints = {});
  // A string field whose spellings are those of enum E (core/config/choices.h): checked like a string with
  // choices, stored as the enum, rendered as its spelling.
  template <Choice E>
  void add_choice(const std::string& name, const Accessor<E>& ref, const std::string& doc) {
    add_choice_field(
        name, doc, choice_names<E>(),
        [ref](Config& config, const std::string& text) { ref.get(config) = *from_string<E>(text); },
        [ref](const Config& config) { return to_string(ref.read(config)); });
  }

 private:
  void add_choice_field(const std::string& name, const std::string& doc, std::vector<std::string> choices,
                        std::function<void(Config&, const std::string&)> store,
                        std::function<std::string(const Config&)> spelling);

  std::vector<FieldSpec>& out_;
  std::string section_;
};

// The full schema, in documentation order (sections in the order of config::Config, fields as declared).
const std::vector<FieldSpec>& schema();

// The names of the sections, in order.
std::vector<std::string> section_names();

// The field with this exact key, or nullptr.
const FieldSpec* find_field(const std::string& key);

// The closest known key to `unknown` for a "did you mean" hint, or "" when nothing is close.
std::string suggest_key(const std::string& unknown);

}  // namespace spct::config
