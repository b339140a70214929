#include "core/config/schema.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <map>

#include "core/config/schema_sections.h"
#include "core/config/suggest.h"
#include "core/config/yaml_quote.h"
#include "core/error.h"

namespace spct::config {
namespace {

[[noreturn]] void fail(const FieldSpec& field, const ConfigNode& node, const std::string& message) {
  throw UsageError(node.location.str() + ": " + field.key + ": " + message);
}

const ConfigNode& require_scalar(const FieldSpec& field, const ConfigNode& node) {
  if (node.kind != ConfigNode::Kind::kScalar) {
    fail(field, node, "expected " + type_name(field.type) + ", got " + node.kind_name());
  }
  return node;
}

const ConfigNode& require_sequence(const FieldSpec& field, const ConfigNode& node) {
  if (node.kind != ConfigNode::Kind::kSequence) {
    fail(field, node, "expected " + type_name(field.type) + " (e.g. [a, b]), got " + node.kind_name());
  }
  return node;
}

std::string format_number(double value) {
  // The shortest text that reads back to the same double: "0.001", "1e-06", "600".
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

void check_range(const FieldSpec& field, const ConfigNode& node, double value) {
  if ((field.min && value < *field.min) || (field.max && value > *field.max)) {
    std::string range = field.min && field.max
                            ? "between " + format_number(*field.min) + " and " + format_number(*field.max)
                        : field.min ? "at least " + format_number(*field.min)
                                    : "at most " + format_number(*field.max);
    fail(field, node, "value " + node.scalar + " is out of range: must be " + range);
  }
}

int64_t parse_integer(const FieldSpec& field, const ConfigNode& node) {
  const std::string& text = require_scalar(field, node).scalar;
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error == std::errc::result_out_of_range) fail(field, node, "integer '" + text + "' is too large");
  if (error != std::errc() || end != text.data() + text.size()) {
    fail(field, node, "expected an integer, got '" + text + "'");
  }
  check_range(field, node, static_cast<double>(value));
  return value;
}

double parse_number(const FieldSpec& field, const ConfigNode& node) {
  const std::string& text = require_scalar(field, node).scalar;
  char* end = nullptr;
  const double value = text.empty() ? 0.0 : std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(value)) {
    fail(field, node, "expected a finite number, got '" + text + "'");
  }
  check_range(field, node, value);
  return value;
}

bool parse_bool(const FieldSpec& field, const ConfigNode& node) {
  const std::string& text = require_scalar(field, node).scalar;
  if (text == "true" || text == "True") return true;
  if (text == "false" || text == "False") return false;
  fail(field, node, "expected true or false, got '" + text + "'");
}

std::string parse_string(const FieldSpec& field, const ConfigNode& node) {
  const std::string& text = require_scalar(field, node).scalar;
  if (!field.choices.empty() && std::find(field.choices.begin(), field.choices.end(), text) == field.choices.end()) {
    std::string list;
    for (const std::string& choice : field.choices) list += (list.empty() ? "" : ", ") + choice;
    const std::string hint = closest_word(text, field.choices);
    fail(field, node, "'" + text + "' is not one of: " + list + (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
  }
  return text;
}

}  // namespace

std::string type_name(FieldType type) {
  switch (type) {
    case FieldType::kInteger: return "an integer";
    case FieldType::kNumber: return "a number";
    case FieldType::kBool: return "true or false";
    case FieldType::kString: return "a string";
    case FieldType::kStringList: return "a list of strings";
    case FieldType::kNumberList: return "a list of numbers";
  }
  return "a value";
}

std::string type_label(FieldType type) {
  switch (type) {
    case FieldType::kInteger: return "integer";
    case FieldType::kNumber: return "number";
    case FieldType::kBool: return "bool";
    case FieldType::kString: return "string";
    case FieldType::kStringList: return "list of strings";
    case FieldType::kNumberList: return "list of numbers";
  }
  return "value";
}

void SchemaBuilder::add_integer(const std::string& name, const Accessor<int64_t>& ref, const std::string& doc,
                                const Constraints& constraints) {
  FieldSpec field{section_ + "." + name, FieldType::kInteger, doc, constraints.min, constraints.max, {}, {}, {}};
  field.assign = [ref, spec = field](Config& config, const ConfigNode& node) {
    ref.get(config) = parse_integer(spec, node);
  };
  field.render = [ref](const Config& config) { return std::to_string(ref.read(config)); };
  out_.push_back(std::move(field));
}

void SchemaBuilder::add_number(const std::string& name, const Accessor<double>& ref, const std::string& doc,
                               const Constraints& constraints) {
  FieldSpec field{section_ + "." + name, FieldType::kNumber, doc, constraints.min, constraints.max, {}, {}, {}};
  field.assign = [ref, spec = field](Config& config, const ConfigNode& node) {
    ref.get(config) = parse_number(spec, node);
  };
  field.render = [ref](const Config& config) { return format_number(ref.read(config)); };
  out_.push_back(std::move(field));
}

void SchemaBuilder::add_bool(const std::string& name, const Accessor<bool>& ref, const std::string& doc) {
  FieldSpec field{section_ + "." + name, FieldType::kBool, doc, {}, {}, {}, {}, {}};
  field.assign = [ref, spec = field](Config& config, const ConfigNode& node) {
    ref.get(config) = parse_bool(spec, node);
  };
  field.render = [ref](const Config& config) { return ref.read(config) ? "true" : "false"; };
  out_.push_back(std::move(field));
}

void SchemaBuilder::add_string(const std::string& name, const Accessor<std::string>& ref, const std::string& doc,
                               const Constraints& constraints) {
  FieldSpec field{section_ + "." + name, FieldType::kString, doc, {}, {}, constraints.choices, {}, {}};
  field.assign = [ref, spec = field](Config& config, const ConfigNode& node) {
    ref.get(config) = parse_string(spec, node);
  };
  field.render = [ref](const Config& config) { return yaml_double_quoted(ref.read(config)); };
  out_.push_back(std::move(field));
}

void SchemaBuilder::add_choice_field(const std::string& name, const std::string& doc, std::vector<std::string> choices,
                                     std::function<void(Config&, const std::string&)> store,
                                     std::function<std::string(const Config&)> spelling) {
  FieldSpec field{section_ + "." + name, FieldType::kString, doc, {}, {}, std::move(choices), {}, {}};
  field.assign = [store = std::move(store), spec = field](Config& config, const ConfigNode& node) {
    store(config, parse_string(spec, node));
  };
  field.render = [spelling = std::move(spelling)](const Config& config) {
    return yaml_double_quoted(spelling(config));
  };
  out_.push_back(std::move(field));
}

void SchemaBuilder::add_string_list(const std::string& name, const Accessor<std::vector<std::string>>& ref,
                                    const std::string& doc, const Constraints& constraints) {
  FieldSpec field{section_ + "." + name, FieldType::kStringList, doc, {}, {}, constraints.choices, {}, {}};
  field.assign = [ref, spec = field](Config& config, const ConfigNode& node) {
    std::vector<std::string> values;
    for (const ConfigNode& item : require_sequence(spec, node).items) values.push_back(parse_string(spec, item));
    ref.get(config) = std::move(values);
  };
  field.render = [ref](const Config& config) {
    std::string out = "[";
    for (const std::string& value : ref.read(config)) out += (out.size() > 1 ? ", " : "") + yaml_double_quoted(value);
    return out + "]";
  };
  out_.push_back(std::move(field));
}

void SchemaBuilder::add_number_list(const std::string& name, const Accessor<std::vector<double>>& ref,
                                    const std::string& doc, const Constraints& constraints) {
  FieldSpec field{section_ + "." + name, FieldType::kNumberList, doc, constraints.min, constraints.max, {}, {}, {}};
  field.assign = [ref, spec = field](Config& config, const ConfigNode& node) {
    std::vector<double> values;
    for (const ConfigNode& item : require_sequence(spec, node).items) values.push_back(parse_number(spec, item));
    ref.get(config) = std::move(values);
  };
  field.render = [ref](const Config& config) {
    std::string out = "[";
    for (const double value : ref.read(config)) out += (out.size() > 1 ? ", " : "") + format_number(value);
    return out + "]";
  };
  out_.push_back(std::move(field));
}

const std::vector<FieldSpec>& schema() {
  static const std::vector<FieldSpec> fields = [] {
    std::vector<FieldSpec> out;
    SchemaBuilder builder(out);
    for (const SectionSchema& section : section_schemas()) {
      builder.begin_section(section.name);
      section.add_fields(builder);
    }
    return out;
  }();
  return fields;
}

std::vector<std::string> section_names() {
  std::vector<std::string> names;
  for (const SectionSchema& section : section_schemas()) names.push_back(section.name);
  return names;
}

const FieldSpec* find_field(const std::string& key) {
  for (const FieldSpec& field : schema()) {
    if (field.key == key) return &field;
  }
  return nullptr;
}

}  // namespace spct::config
