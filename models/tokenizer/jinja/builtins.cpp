#include "models/tokenizer/jinja/builtins.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <initializer_list>

#include "models/tokenizer/jinja/text.h"

namespace spct::tokenizer::jinja {
namespace {

// The arguments of a builtin bound to its parameter names, Python style (positional, then by keyword).
class Params {
 public:
  Params(Interpreter& in, const CallArgs& args, std::string_view function,
         std::initializer_list<std::string_view> names)
      : args_(args), names_(names) {
    if (args.positional.size() > names.size()) {
      in.fail(args.offset, std::string(function) + "() takes at most " + std::to_string(names.size()) +
                               " argument(s), " + std::to_string(args.positional.size()) + " given");
    }
    for (const auto& [keyword, value] : args.keyword) {
      const auto it = std::find(names_.begin(), names_.end(), keyword);
      if (it == names_.end()) {
        in.fail(args.offset, std::string(function) + "() got an unexpected keyword argument '" + keyword + "'");
      }
      if (static_cast<size_t>(it - names_.begin()) < args.positional.size()) {
        in.fail(args.offset, std::string(function) + "() got multiple values for argument '" + keyword + "'");
      }
    }
  }

  // The argument of parameter `index`, or nullptr when it was not passed.
  const Value* get(size_t index) const {
    if (index < args_.positional.size()) return &args_.positional[index];
    for (const auto& [keyword, value] : args_.keyword) {
      if (keyword == names_[index]) return &value;
    }
    return nullptr;
  }
  Value get_or(size_t index, const Value& fallback) const {
    const Value* value = get(index);
    return value ? *value : fallback;
  }

 private:
  const CallArgs& args_;
  std::vector<std::string_view> names_;
};

std::string type_error(std::string_view what, const Value& value) {
  return std::string(what) + ", not " + std::string(type_name(value));
}

const std::string& require_string(Interpreter& in, const Value& value, std::string_view what, size_t offset) {
  if (value.is_undefined()) in.fail(offset, value.as_undefined().what);
  if (!value.is_string()) in.fail(offset, type_error(std::string(what) + " must be a string", value));
  return value.as_string();
}

int64_t require_int(Interpreter& in, const Value& value, std::string_view what, size_t offset) {
  if (value.kind() == Value::Kind::kInt) return value.as_int();
  if (value.kind() == Value::Kind::kBool) return value.as_bool() ? 1 : 0;
  in.fail(offset, type_error(std::string(what) + " must be an integer", value));
}

std::optional<std::string> optional_string(Interpreter& in, const Value* value, std::string_view what, size_t offset) {
  if (value == nullptr || value->is_none()) return std::nullopt;
  return require_string(in, *value, what, offset);
}

// ---- JSON, as Python's json.dumps(ensure_ascii=False) writes it ----

void json_string(const std::string& value, std::string& out) {
  out += '"';
  for (const char c : value) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escape[8];
          std::snprintf(escape, sizeof(escape), "\\u%04x", static_cast<unsigned>(c));
          out += escape;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

struct JsonStyle {
  std::optional<std::string> indent;  // nullopt: one line
  std::string item_separator;
  std::string key_separator;
  bool sort_keys = false;
};

void json_value(Interpreter& in, const Value& value, const JsonStyle& style, size_t level, std::string& out,
                size_t offset) {
  in.charge(1, offset);
  in.check_string(out.size(), offset);
  const auto newline = [&](size_t depth) {
    if (!style.indent) return;
    out += '\n';
    for (size_t i = 0; i < depth; ++i) out += *style.indent;
  };
  switch (value.kind()) {
    case Value::Kind::kNone: out += "null"; return;
    case Value::Kind::kBool: out += value.as_bool() ? "true" : "false"; return;
    case Value::Kind::kInt: out += std::to_string(value.as_int()); return;
    case Value::Kind::kFloat: {
      const double number = value.as_float();
      if (std::isnan(number)) {
        out += "NaN";
      } else if (std::isinf(number)) {
        out += number < 0 ? "-Infinity" : "Infinity";
      } else {
        out += repr(value);
      }
      return;
    }
    case Value::Kind::kString: json_string(value.as_string(), out); return;
    case Value::Kind::kList: {
      const List& items = value.as_list();
      if (items.empty()) {
        out += "[]";
        return;
      }
      out += '[';
      for (size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out += style.item_separator;
        newline(level + 1);
        json_value(in, items[i], style, level + 1, out, offset);
      }
      newline(level);
      out += ']';
      return;
    }
    case Value::Kind::kDict: {
      std::vector<const std::pair<std::string, Value>*> entries;
      for (const auto& entry : value.as_dict().entries) entries.push_back(&entry);
      if (entries.empty()) {
        out += "{}";
        return;
      }
      if (style.sort_keys) {
        std::stable_sort(entries.begin(), entries.end(),
                         [](const auto* a, const auto* b) { return a->first < b->first; });
      }
      out += '{';
      for (size_t i = 0; i < entries.size(); ++i) {
        if (i > 0) out += style.item_separator;
        newline(level + 1);
        json_string(entries[i]->first, out);
        out += style.key_separator;
        json_value(in, entries[i]->second, style, level + 1, out, offset);
      }
      newline(level);
      out += '}';
      return;
    }
    default: in.fail(offset, "Object of type " + std::string(type_name(value)) + " is not JSON serializable");
  }
}

Value tojson(Interpreter& in, const Value& operand, const CallArgs& args) {
  const Params params(in, args, "tojson", {"ensure_ascii", "indent", "separators", "sort_keys"});
  if (truthy(params.get_or(0, false))) in.fail(args.offset, "tojson(ensure_ascii=true) is not supported");
  JsonStyle style;
  const Value indent = params.get_or(1, Value::none());
  if (indent.is_string()) {
    style.indent = indent.as_string();
  } else if (!indent.is_none()) {
    style.indent =
        std::string(static_cast<size_t>(std::max<int64_t>(0, require_int(in, indent, "indent", args.offset))), ' ');
  }
  style.item_separator = style.indent ? "," : ", ";
  style.key_separator = ": ";
  const Value separators = params.get_or(2, Value::none());
  if (!separators.is_none()) {
    if (separators.kind() != Value::Kind::kList || separators.as_list().size() != 2) {
      in.fail(args.offset, "tojson separators must be a pair of strings");
    }
    style.item_separator = require_string(in, separators.as_list()[0], "separator", args.offset);
    style.key_separator = require_string(in, separators.as_list()[1], "separator", args.offset);
  }
  style.sort_keys = truthy(params.get_or(3, false));
  std::string out;
  json_value(in, operand, style, 0, out, args.offset);
  return Value(std::move(out));
}

// ---- helpers for the sequence filters ----

// The attribute or item `path` ("a.b.0") of `value`, as Jinja's attribute= arguments read it.
Value attribute_path(Interpreter& in, const Value& value, const std::string& path, size_t offset) {
  Value current = value;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    const std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    in.charge(1, offset);
    if (current.kind() == Value::Kind::kDict) {
      const Value* found = current.as_dict().find(part);
      current = found ? *found : Value::undefined("'dict object' has no attribute '" + part + "'");
    } else if (current.kind() == Value::Kind::kNamespace) {
      const Value* found = current.as_namespace().attributes.find(part);
      current = found ? *found : Value::undefined("'Namespace' object has no attribute '" + part + "'");
    } else if (current.kind() == Value::Kind::kList && !part.empty() &&
               std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      const List& items = current.as_list();
      const size_t index = part.size() < 10 ? std::stoul(part) : items.size();
      current = index < items.size() ? items[index] : Value::undefined("list index out of range");
    } else {
      current = Value::undefined("'" + std::string(type_name(current)) + " object' has no attribute '" + part + "'");
    }
    if (dot == std::string::npos) return current;
    start = dot + 1;
  }
}

// Jinja's sort key: strings compare case-insensitively unless case_sensitive.
Value sort_key(const Value& value, bool case_sensitive) {
  if (!case_sensitive && value.is_string()) return Value(text::lower(value.as_string()));
  return value;
}

List sorted(Interpreter& in, List items, bool reverse, bool case_sensitive, const std::optional<std::string>& attribute,
            size_t offset) {
  in.charge(items.size() * 2 + 1, offset);
  std::vector<std::pair<Value, size_t>> keyed;
  for (size_t i = 0; i < items.size(); ++i) {
    const Value key = attribute ? attribute_path(in, items[i], *attribute, offset) : items[i];
    keyed.emplace_back(sort_key(key, case_sensitive), i);
  }
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
    const int order = compare_values(in, a.first, b.first, offset);
    return reverse ? order > 0 : order < 0;
  });
  List out;
  for (const auto& [key, index] : keyed) out.push_back(items[index]);
  return out;
}

// select / reject / selectattr / rejectattr: the items for which the test (default: truthiness) is `keep`.
Value select(Interpreter& in, const Value& operand, const CallArgs& args, bool keep, bool by_attribute) {
  const size_t first_test_arg = by_attribute ? 2 : 1;
  if (by_attribute && args.positional.empty()) in.fail(args.offset, "selectattr/rejectattr need an attribute name");
  std::optional<std::string> attribute;
  if (by_attribute) attribute = require_string(in, args.positional[0], "attribute", args.offset);
  std::optional<std::string> test;
  if (args.positional.size() >= first_test_arg) {
    test = require_string(in, args.positional[first_test_arg - 1], "test name", args.offset);
  }
  CallArgs test_args;
  test_args.offset = args.offset;
  for (size_t i = first_test_arg; i < args.positional.size(); ++i) test_args.positional.push_back(args.positional[i]);
  List out;
  for (const Value& item : iterate(in, operand, args.offset)) {
    in.charge(1, args.offset);
    const Value subject = attribute ? attribute_path(in, item, *attribute, args.offset) : item;
    const bool passes = test ? apply_test(in, *test, subject, test_args) : truthy(subject);
    if (passes == keep) out.push_back(item);
  }
  return Value(std::move(out));
}

Value map_filter(Interpreter& in, const Value& operand, const CallArgs& args) {
  List out;
  const List items = iterate(in, operand, args.offset);
  for (const auto& [keyword, value] : args.keyword) {
    if (keyword != "attribute" && keyword != "default")
      in.fail(args.offset, "map() got an unexpected keyword '" + keyword + "'");
  }
  const Value* attribute = nullptr;
  const Value* fallback = nullptr;
  for (const auto& [keyword, value] : args.keyword) (keyword == "attribute" ? attribute : fallback) = &value;
  if (attribute != nullptr) {
    const std::string& path = require_string(in, *attribute, "attribute", args.offset);
    for (const Value& item : items) {
      Value value = attribute_path(in, item, path, args.offset);
      if (value.is_undefined() && fallback != nullptr) value = *fallback;
      out.push_back(std::move(value));
    }
    return Value(std::move(out));
  }
  if (args.positional.empty()) in.fail(args.offset, "map() needs a filter name or attribute=");
  const std::string& filter = require_string(in, args.positional[0], "filter name", args.offset);
  CallArgs filter_args;
  filter_args.offset = args.offset;
  filter_args.positional.assign(args.positional.begin() + 1, args.positional.end());
  for (const Value& item : items) out.push_back(apply_filter(in, filter, item, filter_args));
  return Value(std::move(out));
}

Value min_max(Interpreter& in, const Value& operand, const CallArgs& args, bool want_max) {
  const Params params(in, args, want_max ? "max" : "min", {"case_sensitive", "attribute"});
  const List items = sorted(in, iterate(in, operand, args.offset), false, truthy(params.get_or(0, false)),
                            optional_string(in, params.get(1), "attribute", args.offset), args.offset);
  if (items.empty()) return Value::undefined("No aggregated item, sequence was empty.");
  return want_max ? items.back() : items.front();
}

Value round_filter(Interpreter& in, const Value& operand, const CallArgs& args) {
  const Params params(in, args, "round", {"precision", "method"});
  if (!operand.is_number()) in.fail(args.offset, type_error("round() needs a number", operand));
  const int64_t precision = require_int(in, params.get_or(0, 0), "precision", args.offset);
  const std::string method = require_string(in, params.get_or(1, "common"), "method", args.offset);
  const double scale = std::pow(10.0, static_cast<double>(precision));
  const double value = operand.to_double() * scale;
  double rounded;
  if (method == "common") {
    rounded = std::nearbyint(value);  // Python's round(): halves go to the even neighbour
  } else if (method == "ceil") {
    rounded = std::ceil(value);
  } else if (method == "floor") {
    rounded = std::floor(value);
  } else {
    in.fail(args.offset, "round() method must be common, ceil or floor");
  }
  return Value(rounded / scale);
}

Value indent_filter(Interpreter& in, const Value& operand, const CallArgs& args) {
  const Params params(in, args, "indent", {"width", "first", "blank"});
  const Value width = params.get_or(0, 4);
  const std::string pad =
      width.is_string()
          ? width.as_string()
          : std::string(static_cast<size_t>(std::clamp<int64_t>(require_int(in, width, "width", args.offset), 0, 1024)),
                        ' ');
  const bool first = truthy(params.get_or(1, false));
  const bool blank = truthy(params.get_or(2, false));
  const std::string text = to_str(operand);
  std::string out;
  size_t start = 0;
  bool first_line = true;
  while (true) {
    const size_t end = text.find('\n', start);
    const std::string line = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if ((first_line ? first : true) && (blank || !line.empty())) out += pad;
    out += line;
    if (end == std::string::npos) break;
    out += '\n';
    start = end + 1;
    first_line = false;
    in.check_string(out.size(), args.offset);
  }
  in.check_string(out.size(), args.offset);
  return Value(std::move(out));
}

std::string html_escape(const std::string& value) {
  std::string out;
  for (const char c : value) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

Value join(Interpreter& in, const Value& operand, const CallArgs& args) {
  const Params params(in, args, "join", {"d", "attribute"});
  const std::string separator = require_string(in, params.get_or(0, ""), "separator", args.offset);
  const std::optional<std::string> attribute = optional_string(in, params.get(1), "attribute", args.offset);
  std::string out;
  bool first = true;
  for (const Value& item : iterate(in, operand, args.offset)) {
    if (!first) out += separator;
    first = false;
    out += to_str(attribute ? attribute_path(in, item, *attribute, args.offset) : item);
    in.check_string(out.size(), args.offset);
  }
  return Value(std::move(out));
}

Value unique(Interpreter& in, const Value& operand, const CallArgs& args) {
  const Params params(in, args, "unique", {"case_sensitive", "attribute"});
  const bool case_sensitive = truthy(params.get_or(0, false));
  const std::optional<std::string> attribute = optional_string(in, params.get(1), "attribute", args.offset);
  List out, seen;
  for (const Value& item : iterate(in, operand, args.offset)) {
    const Value key = sort_key(attribute ? attribute_path(in, item, *attribute, args.offset) : item, case_sensitive);
    in.charge(seen.size() + 1, args.offset);
    if (std::any_of(seen.begin(), seen.end(), [&](const Value& s) { return equals(s, key); })) continue;
    seen.push_back(key);
    out.push_back(item);
  }
  return Value(std::move(out));
}

Value dict_items(const Dict& dict) {
  List items;
  for (const auto& [key, value] : dict.entries) items.push_back(Value::tuple(List{Value(key), value}));
  return Value(std::move(items));
}

// ---- methods ----

Value string_method(Interpreter& in, const std::string& self, const std::string& name, const CallArgs& args) {
  const size_t at = args.offset;
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    const Params params(in, args, name, {"chars"});
    return Value(
        text::strip(self, optional_string(in, params.get(0), "chars", at), name != "rstrip", name != "lstrip"));
  }
  if (name == "split" || name == "rsplit") {
    const Params params(in, args, name, {"sep", "maxsplit"});
    const std::optional<std::string> separator = optional_string(in, params.get(0), "sep", at);
    if (separator && separator->empty()) in.fail(at, "empty separator");
    List pieces;
    for (std::string& piece :
         text::split(self, separator, require_int(in, params.get_or(1, -1), "maxsplit", at), name == "rsplit")) {
      pieces.emplace_back(std::move(piece));
    }
    in.charge(pieces.size(), at);
    return Value(std::move(pieces));
  }
  if (name == "splitlines") {
    List lines;
    for (std::string& line : text::split_lines(self)) lines.emplace_back(std::move(line));
    in.charge(lines.size(), at);
    return Value(std::move(lines));
  }
  if (name == "startswith" || name == "endswith") {
    const Params params(in, args, name, {"prefix"});
    if (params.get(0) == nullptr) in.fail(at, name + "() takes exactly one argument");
    const Value& wanted = *params.get(0);
    const List candidates = wanted.kind() == Value::Kind::kList ? wanted.as_list() : List{wanted};
    for (const Value& candidate : candidates) {
      const std::string& affix = require_string(in, candidate, name + " argument", at);
      const bool match = affix.size() <= self.size() &&
                         (name == "startswith" ? self.compare(0, affix.size(), affix) == 0
                                               : self.compare(self.size() - affix.size(), affix.size(), affix) == 0);
      if (match) return Value(true);
    }
    return Value(false);
  }
  if (name == "upper") return Value(text::upper(self));
  if (name == "lower") return Value(text::lower(self));
  if (name == "title") return Value(text::title(self));
  if (name == "capitalize") return Value(text::capitalize(self));
  if (name == "replace") {
    const Params params(in, args, name, {"old", "new", "count"});
    if (params.get(1) == nullptr) in.fail(at, "replace() takes at least 2 arguments");
    std::string out = text::replace(self, require_string(in, *params.get(0), "old", at),
                                    require_string(in, *params.get(1), "new", at),
                                    require_int(in, params.get_or(2, -1), "count", at));
    in.check_string(out.size(), at);
    return Value(std::move(out));
  }
  if (name == "find" || name == "rfind" || name == "count" || name == "index" || name == "rindex") {
    const Params params(in, args, name, {"sub"});
    if (params.get(0) == nullptr) in.fail(at, name + "() takes exactly one argument");
    const std::string& needle = require_string(in, *params.get(0), "substring", at);
    if (name == "count") return Value(static_cast<int64_t>(text::count(self, needle)));
    const long long found = text::find(self, needle, name == "rfind" || name == "rindex");
    if (found < 0 && (name == "index" || name == "rindex")) in.fail(at, "substring not found");
    return Value(static_cast<int64_t>(found));
  }
  if (name == "join") {
    const Params params(in, args, name, {"iterable"});
    if (params.get(0) == nullptr) in.fail(at, "join() takes exactly one argument");
    std::string out;
    bool first = true;
    for (const Value& item : iterate(in, *params.get(0), at)) {
      if (!first) out += self;
      first = false;
      out += require_string(in, item, "join() item", at);
      in.check_string(out.size(), at);
    }
    return Value(std::move(out));
  }
  const std::u32string cps = text::decode(self);
  const auto all = [&](auto predicate) { return !cps.empty() && std::all_of(cps.begin(), cps.end(), predicate); };
  if (name == "isspace") return Value(all(text::is_space));
  if (name == "isdigit") return Value(all([](char32_t c) { return c >= '0' && c <= '9'; }));
  if (name == "isalpha") return Value(all([](char32_t c) { return (c | 32) >= 'a' && (c | 32) <= 'z'; }));
  if (name == "isalnum") {
    return Value(all([](char32_t c) { return ((c | 32) >= 'a' && (c | 32) <= 'z') || (c >= '0' && c <= '9'); }));
  }
  if (name == "isupper" || name == "islower") {
    const bool upper = name == "isupper";
    bool cased = false;
    for (const char32_t c : cps) {
      if (c >= 'a' && c <= 'z') {
        if (upper) return Value(false);
        cased = true;
      }
      if (c >= 'A' && c <= 'Z') {
        if (!upper) return Value(false);
        cased = true;
      }
    }
    return Value(cased);
  }
  in.fail(at, "'str' object has no attribute '" + name + "'");
}

bool is_string_method(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      "strip", "lstrip",  "rstrip",     "split",   "rsplit",  "splitlines", "startswith", "endswith", "upper",
      "lower", "title",   "capitalize", "replace", "find",    "rfind",      "count",      "index",    "rindex",
      "join",  "isspace", "isdigit",    "isalpha", "isalnum", "isupper",    "islower"};
  return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
}

Value dict_method(Interpreter& in, const Dict& self, const std::string& name, const CallArgs& args) {
  if (name == "items" || name == "keys" || name == "values") {
    const Params params(in, args, name, {});
    in.charge(self.entries.size(), args.offset);
    if (name == "items") return dict_items(self);
    List out;
    for (const auto& [key, value] : self.entries) out.push_back(name == "keys" ? Value(key) : value);
    return Value(std::move(out));
  }
  const Params params(in, args, name, {"key", "default"});  // get
  if (params.get(0) == nullptr) in.fail(args.offset, "get() takes at least 1 argument");
  const Value& key = *params.get(0);
  const Value* found = key.is_string() ? self.find(key.as_string()) : nullptr;
  return found ? *found : params.get_or(1, Value::none());
}

Value list_method(Interpreter& in, const List& self, const std::string& name, const CallArgs& args) {
  const Params params(in, args, name, {"value"});
  if (params.get(0) == nullptr) in.fail(args.offset, name + "() takes exactly one argument");
  in.charge(self.size(), args.offset);
  int64_t count = 0;
  for (size_t i = 0; i < self.size(); ++i) {
    if (!equals(self[i], *params.get(0))) continue;
    if (name == "index") return Value(static_cast<int64_t>(i));
    ++count;
  }
  if (name == "index") in.fail(args.offset, repr(*params.get(0)) + " is not in list");
  return Value(count);
}

}  // namespace

std::optional<Value> method_of(Interpreter& in, const Value& object, std::string_view name) {
  const std::string method(name);
  Interpreter* interpreter = &in;
  if (object.is_string() && is_string_method(name)) {
    return Value(Callable{"str." + method, [interpreter, object, method](const CallArgs& args) {
                            return string_method(*interpreter, object.as_string(), method, args);
                          }});
  }
  if (object.kind() == Value::Kind::kDict && (name == "items" || name == "keys" || name == "values" || name == "get")) {
    return Value(Callable{"dict." + method, [interpreter, object, method](const CallArgs& args) {
                            return dict_method(*interpreter, object.as_dict(), method, args);
                          }});
  }
  if (object.kind() == Value::Kind::kList && (name == "index" || name == "count")) {
    return Value(Callable{"list." + method, [interpreter, object, method](const CallArgs& args) {
                            return list_method(*interpreter, object.as_list(), method, args);
                          }});
  }
  return std::nullopt;
}

int compare_values(Interpreter& in, const Value& a, const Value& b, size_t offset) {
  if (a.is_number() && b.is_number()) {
    if (a.kind() != Value::Kind::kFloat && b.kind() != Value::Kind::kFloat) {
      const int64_t x = a.kind() == Value::Kind::kBool ? int64_t{a.as_bool()} : a.as_int();
      const int64_t y = b.kind() == Value::Kind::kBool ? int64_t{b.as_bool()} : b.as_int();
      return x < y ? -1 : x > y ? 1 : 0;
    }
    const double x = a.to_double(), y = b.to_double();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a.is_string() && b.is_string()) {
    const int order = a.as_string().compare(b.as_string());  // UTF-8 byte order is code point order
    return order < 0 ? -1 : order > 0 ? 1 : 0;
  }
  if (a.kind() == Value::Kind::kList && b.kind() == Value::Kind::kList) {
    const List &x = a.as_list(), &y = b.as_list();
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      in.charge(1, offset);
      if (equals(x[i], y[i])) continue;
      return compare_values(in, x[i], y[i], offset);
    }
    return x.size() < y.size() ? -1 : x.size() > y.size() ? 1 : 0;
  }
  if (a.is_undefined()) in.fail(offset, a.as_undefined().what);
  if (b.is_undefined()) in.fail(offset, b.as_undefined().what);
  in.fail(offset, "'<' not supported between instances of '" + std::string(type_name(a)) + "' and '" +
                      std::string(type_name(b)) + "'");
}

Value apply_filter(Interpreter& in, std::string_view name, const Value& operand, const CallArgs& args) {
  const size_t at = args.offset;
  in.charge(1, at);
  if (name == "default" || name == "d") {
    const Params params(in, args, name, {"default_value", "boolean"});
    const bool boolean = truthy(params.get_or(1, false));
    if (operand.is_undefined() || (boolean && !truthy(operand))) return params.get_or(0, "");
    return operand;
  }
  // Every other filter fails on Undefined where Jinja's would, except those that read it as empty text or an
  // empty sequence.
  if (name == "trim") {
    const Params params(in, args, name, {"chars"});
    return Value(text::strip(to_str(operand), optional_string(in, params.get(0), "chars", at), true, true));
  }
  if (name == "length" || name == "count") {
    switch (operand.kind()) {
      case Value::Kind::kString: return Value(static_cast<int64_t>(text::length(operand.as_string())));
      case Value::Kind::kList: return Value(static_cast<int64_t>(operand.as_list().size()));
      case Value::Kind::kDict: return Value(static_cast<int64_t>(operand.as_dict().entries.size()));
      case Value::Kind::kUndefined: return Value(0);
      default: in.fail(at, "object of type '" + std::string(type_name(operand)) + "' has no len()");
    }
  }
  if (name == "tojson") return tojson(in, operand, args);
  if (name == "string") return Value(to_str(operand));
  if (name == "safe") return operand;
  if (name == "upper") return Value(text::upper(to_str(operand)));
  if (name == "lower") return Value(text::lower(to_str(operand)));
  if (name == "title") return Value(text::title(to_str(operand)));
  if (name == "capitalize") return Value(text::capitalize(to_str(operand)));
  if (name == "escape" || name == "e") return Value(html_escape(to_str(operand)));
  if (name == "replace") {
    return string_method(in, to_str(operand), "replace", args);
  }
  if (name == "join") return join(in, operand, args);
  if (name == "list") {
    List items = iterate(in, operand, at);
    in.charge(items.size(), at);
    return Value(std::move(items));
  }
  if (name == "first" || name == "last") {
    const List items = iterate(in, operand, at);
    if (items.empty()) return Value::undefined("No " + std::string(name) + " item, sequence was empty.");
    return name == "first" ? items.front() : items.back();
  }
  if (name == "reverse") {
    if (operand.is_string()) {
      std::u32string cps = text::decode(operand.as_string());
      std::reverse(cps.begin(), cps.end());
      return Value(text::encode(cps));
    }
    List items = iterate(in, operand, at);
    std::reverse(items.begin(), items.end());
    return Value(std::move(items));
  }
  if (name == "sort") {
    const Params params(in, args, name, {"reverse", "case_sensitive", "attribute"});
    return Value(sorted(in, iterate(in, operand, at), truthy(params.get_or(0, false)), truthy(params.get_or(1, false)),
                        optional_string(in, params.get(2), "attribute", at), at));
  }
  if (name == "dictsort") {
    const Params params(in, args, name, {"case_sensitive", "by", "reverse"});
    if (operand.kind() != Value::Kind::kDict) in.fail(at, type_error("dictsort needs a dict", operand));
    const std::string by = require_string(in, params.get_or(1, "key"), "by", at);
    if (by != "key" && by != "value") in.fail(at, "dictsort by must be 'key' or 'value'");
    return Value(sorted(in, dict_items(operand.as_dict()).as_list(), truthy(params.get_or(2, false)),
                        truthy(params.get_or(0, false)), by == "key" ? "0" : "1", at));
  }
  if (name == "items") {
    if (operand.is_undefined()) return Value(List{});
    if (operand.kind() != Value::Kind::kDict) in.fail(at, type_error("items needs a dict", operand));
    return dict_items(operand.as_dict());
  }
  if (name == "unique") return unique(in, operand, args);
  if (name == "select" || name == "reject") return select(in, operand, args, name == "select", false);
  if (name == "selectattr" || name == "rejectattr") return select(in, operand, args, name == "selectattr", true);
  if (name == "map") return map_filter(in, operand, args);
  if (name == "min" || name == "max") return min_max(in, operand, args, name == "max");
  if (name == "sum") {
    const Params params(in, args, name, {"attribute", "start"});
    const std::optional<std::string> attribute = optional_string(in, params.get(0), "attribute", at);
    Value total = params.get_or(1, 0);
    for (const Value& item : iterate(in, operand, at)) {
      const Value value = attribute ? attribute_path(in, item, *attribute, at) : item;
      if (!value.is_number() || !total.is_number()) in.fail(at, type_error("sum() adds numbers", value));
      if (total.kind() == Value::Kind::kFloat || value.kind() == Value::Kind::kFloat) {
        total = Value(total.to_double() + value.to_double());
      } else {
        int64_t result = 0;
        if (__builtin_add_overflow(require_int(in, total, "sum", at), require_int(in, value, "sum", at), &result)) {
          in.fail(at, "integer overflow in sum()");
        }
        total = Value(result);
      }
    }
    return total;
  }
  if (name == "abs") {
    if (operand.kind() == Value::Kind::kFloat) return Value(std::fabs(operand.as_float()));
    const int64_t value = require_int(in, operand, "abs() argument", at);
    if (value == INT64_MIN) in.fail(at, "integer overflow in abs()");
    return Value(value < 0 ? -value : value);
  }
  if (name == "int") {
    const Params params(in, args, name, {"default", "base"});
    if (operand.kind() == Value::Kind::kInt) return operand;
    if (operand.kind() == Value::Kind::kBool) return Value(int64_t{operand.as_bool()});
    if (operand.kind() == Value::Kind::kFloat && std::isfinite(operand.as_float()) &&
        std::fabs(operand.as_float()) < 9.2e18) {
      return Value(static_cast<int64_t>(operand.as_float()));
    }
    if (operand.is_string()) {
      const std::string trimmed = text::strip(operand.as_string(), std::nullopt, true, true);
      const int64_t base = require_int(in, params.get_or(1, 10), "base", at);
      if (base >= 2 && base <= 36 && !trimmed.empty()) {
        size_t used = 0;
        try {
          const long long value = std::stoll(trimmed, &used, static_cast<int>(base));
          if (used == trimmed.size()) return Value(static_cast<int64_t>(value));
        } catch (const std::exception&) {
          // not a number in that base: the default below, as Jinja's int filter does
        }
      }
    }
    return params.get_or(0, 0);
  }
  if (name == "float") {
    const Params params(in, args, name, {"default"});
    if (operand.is_number()) return Value(operand.to_double());
    if (operand.is_string()) {
      const std::string trimmed = text::strip(operand.as_string(), std::nullopt, true, true);
      char* end = nullptr;
      const double value = std::strtod(trimmed.c_str(), &end);
      if (!trimmed.empty() && end == trimmed.c_str() + trimmed.size()) return Value(value);
    }
    return params.get_or(0, 0.0);
  }
  if (name == "round") return round_filter(in, operand, args);
  if (name == "indent") return indent_filter(in, operand, args);
  if (name == "wordcount")
    return Value(static_cast<int64_t>(text::split(to_str(operand), std::nullopt, -1, false).size()));
  if (name == "attr") {
    const Params params(in, args, name, {"name"});
    if (params.get(0) == nullptr) in.fail(at, "attr() needs an attribute name");
    return attribute_path(in, operand, require_string(in, *params.get(0), "attribute", at), at);
  }
  in.fail(at, "unknown filter '" + std::string(name) + "'");
}

bool apply_test(Interpreter& in, std::string_view name, const Value& operand, const CallArgs& args) {
  const size_t at = args.offset;
  in.charge(1, at);
  const auto one_argument = [&]() -> const Value& {
    if (args.positional.size() != 1 || !args.keyword.empty())
      in.fail(at, "test '" + std::string(name) + "' takes one argument");
    return args.positional[0];
  };
  const Value::Kind kind = operand.kind();
  if (name == "defined") return !operand.is_undefined();
  if (name == "undefined") return operand.is_undefined();
  if (name == "none") return operand.is_none();
  if (name == "string") return operand.is_string();
  if (name == "number") return operand.is_number();
  if (name == "integer") return kind == Value::Kind::kInt;
  if (name == "float") return kind == Value::Kind::kFloat;
  if (name == "boolean") return kind == Value::Kind::kBool;
  if (name == "true") return kind == Value::Kind::kBool && operand.as_bool();
  if (name == "false") return kind == Value::Kind::kBool && !operand.as_bool();
  if (name == "mapping") return kind == Value::Kind::kDict;
  if (name == "iterable") {
    return kind == Value::Kind::kString || kind == Value::Kind::kList || kind == Value::Kind::kDict ||
           kind == Value::Kind::kUndefined;
  }
  if (name == "sequence") {
    return kind == Value::Kind::kString || kind == Value::Kind::kList || kind == Value::Kind::kDict ||
           kind == Value::Kind::kUndefined;
  }
  if (name == "callable") return kind == Value::Kind::kCallable;
  if (name == "lower" || name == "upper") {
    const std::string method = name == "lower" ? "islower" : "isupper";
    return truthy(string_method(in, to_str(operand), method, CallArgs{{}, {}, at}));
  }
  if (name == "odd" || name == "even") {
    const int64_t value = require_int(in, operand, "odd/even operand", at);
    return (value % 2 != 0) == (name == "odd");
  }
  if (name == "divisibleby") {
    const int64_t divisor = require_int(in, one_argument(), "divisor", at);
    if (divisor == 0) in.fail(at, "integer division or modulo by zero");
    return require_int(in, operand, "divisibleby operand", at) % divisor == 0;
  }
  if (name == "eq" || name == "equalto" || name == "==") return equals(operand, one_argument());
  if (name == "ne" || name == "!=") return !equals(operand, one_argument());
  if (name == "sameas") {
    const Value& other = one_argument();
    if (operand.kind() != other.kind()) return false;
    if (kind == Value::Kind::kNone || kind == Value::Kind::kUndefined) return true;
    if (kind == Value::Kind::kBool) return operand.as_bool() == other.as_bool();
    return kind == Value::Kind::kNamespace && &operand.as_namespace() == &other.as_namespace();
  }
  if (name == "lt" || name == "lessthan" || name == "<") return compare_values(in, operand, one_argument(), at) < 0;
  if (name == "le" || name == "<=") return compare_values(in, operand, one_argument(), at) <= 0;
  if (name == "gt" || name == "greaterthan" || name == ">") return compare_values(in, operand, one_argument(), at) > 0;
  if (name == "ge" || name == ">=") return compare_values(in, operand, one_argument(), at) >= 0;
  if (name == "in") {
    const Value& container = one_argument();
    if (container.is_string()) {
      return container.as_string().find(require_string(in, operand, "'in <string>' operand", at)) != std::string::npos;
    }
    for (const Value& item : iterate(in, container, at)) {
      in.charge(1, at);
      if (equals(item, operand)) return true;
    }
    return false;
  }
  in.fail(at, "unknown test '" + std::string(name) + "'");
}

Dict global_functions(Interpreter& in) {
  Interpreter* interpreter = &in;
  Dict globals;
  globals.set("raise_exception", Value(Callable{"raise_exception", [interpreter](const CallArgs& args) -> Value {
                                                  const Params params(*interpreter, args, "raise_exception",
                                                                      {"message"});
                                                  interpreter->raise(args.offset, to_str(params.get_or(0, "")));
                                                }}));
  globals.set("range", Value(Callable{"range", [interpreter](const CallArgs& args) {
                                        const Params params(*interpreter, args, "range", {"start", "stop", "step"});
                                        if (params.get(0) == nullptr)
                                          interpreter->fail(args.offset, "range expected at least 1 argument");
                                        int64_t start = 0, stop = 0, step = 1;
                                        if (params.get(1) == nullptr) {
                                          stop = require_int(*interpreter, *params.get(0), "range()", args.offset);
                                        } else {
                                          start = require_int(*interpreter, *params.get(0), "range()", args.offset);
                                          stop = require_int(*interpreter, *params.get(1), "range()", args.offset);
                                          step = require_int(*interpreter, params.get_or(2, 1), "range()", args.offset);
                                        }
                                        if (step == 0) interpreter->fail(args.offset, "range() arg 3 must not be zero");
                                        List items;
                                        for (int64_t i = start; step > 0 ? i < stop : i > stop;) {
                                          interpreter->charge(1, args.offset);
                                          items.emplace_back(i);
                                          if (__builtin_add_overflow(i, step, &i)) break;
                                        }
                                        return Value(std::move(items));
                                      }}));
  globals.set("namespace", Value(Callable{"namespace", [interpreter](const CallArgs& args) {
                                            auto ns = interpreter->make_namespace();
                                            for (const Value& positional : args.positional) {
                                              if (positional.kind() != Value::Kind::kDict) {
                                                interpreter->fail(args.offset,
                                                                  type_error("namespace() takes a dict", positional));
                                              }
                                              for (const auto& [key, value] : positional.as_dict().entries)
                                                ns->attributes.set(key, value);
                                            }
                                            for (const auto& [key, value] : args.keyword)
                                              ns->attributes.set(key, value);
                                            Value result(ns);
                                            interpreter->check_nesting(result, args.offset);
                                            return result;
                                          }}));
  globals.set("dict", Value(Callable{"dict", [interpreter](const CallArgs& args) {
                                       Dict dict;
                                       for (const Value& positional : args.positional) {
                                         if (positional.kind() != Value::Kind::kDict) {
                                           interpreter->fail(args.offset,
                                                             type_error("dict() takes a dict", positional));
                                         }
                                         for (const auto& [key, value] : positional.as_dict().entries)
                                           dict.set(key, value);
                                       }
                                       for (const auto& [key, value] : args.keyword) dict.set(key, value);
                                       Value result(std::move(dict));
                                       interpreter->check_nesting(result, args.offset);
                                       return result;
                                     }}));
  globals.set("strftime_now", Value(Callable{"strftime_now", [interpreter](const CallArgs& args) {
                                               const Params params(*interpreter, args, "strftime_now", {"format"});
                                               const std::string format = require_string(
                                                   *interpreter, params.get_or(0, ""), "format", args.offset);
                                               const std::time_t now = std::time(nullptr);
                                               std::tm local{};
                                               localtime_r(&now, &local);
                                               char buffer[512];
                                               const size_t size =
                                                   std::strftime(buffer, sizeof(buffer), format.c_str(), &local);
                                               return Value(std::string(buffer, size));
                                             }}));
  return globals;
}

}  // namespace spct::tokenizer::jinja
