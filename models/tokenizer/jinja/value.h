// Value: what a Jinja expression evaluates to, modelled on the Python objects Jinja templates see when
// transformers renders them (str, int, float, bool, None, list, dict, Jinja's Undefined, namespace() objects and
// callables), so that printing, comparing and serialising give the same text Python gives.
//
// Lists and dicts are immutable once built (transformers renders in Jinja's ImmutableSandboxedEnvironment, which
// forbids list.append and dict.update); only a namespace() is changed in place, by `{% set ns.attr = ... %}`.
// Dicts keep insertion order, as Python's do; their keys are strings (JSON's).
//
// Thread safety: values may share immutable parts; a namespace must not be shared between threads.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace spct::tokenizer::jinja {

class Value;

struct Dict {
  std::vector<std::pair<std::string, Value>> entries;

  // The value under `key`, or nullptr.
  const Value* find(std::string_view key) const;
  // Sets `key`, keeping the position of an existing entry.
  void set(std::string key, Value value);
};

// Positional and keyword arguments of a call, and the byte offset of the call in the template (for errors).
struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;
  size_t offset = 0;
};

struct Callable {
  std::string name;
  std::function<Value(const CallArgs&)> call;
};

// A namespace() object: the one mutable value, shared by every reference to it.
struct Namespace {
  Dict attributes;
};

// Jinja's Undefined: what a missing variable, key or attribute evaluates to. It prints as "", is false and
// iterates as empty; most other uses are errors, which quote `what` (e.g. "'dict object' has no attribute 'x'").
struct Undefined {
  std::string what;
};

using List = std::vector<Value>;

class Value {
 public:
  enum class Kind { kUndefined, kNone, kBool, kInt, kFloat, kString, kList, kDict, kNamespace, kCallable };

  Value() : storage_(Undefined{}) {}
  static Value undefined(std::string what) { return Value(Undefined{std::move(what)}); }
  static Value none() { return Value(nullptr); }
  // A tuple: a list that prints as "(a, b)", is named "tuple" and equals only tuples (dict.items() makes them).
  static Value tuple(List items) {
    Value value(std::move(items));
    value.tuple_ = true;
    return value;
  }
  // Implicit, so that building values reads like Python.
  Value(bool value) : storage_(value) {}
  Value(int value) : storage_(int64_t{value}) {}
  Value(int64_t value) : storage_(value) {}
  Value(double value) : storage_(value) {}
  Value(std::string value) : storage_(std::move(value)) {}
  Value(const char* value) : storage_(std::string(value)) {}
  Value(List items) : storage_(std::make_shared<const List>(std::move(items))) {}
  Value(Dict dict) : storage_(std::make_shared<const Dict>(std::move(dict))) {}
  Value(std::shared_ptr<Namespace> ns) : storage_(std::move(ns)) {}
  Value(Callable callable) : storage_(std::make_shared<const Callable>(std::move(callable))) {}

  Kind kind() const { return static_cast<Kind>(storage_.index()); }
  bool is_tuple() const { return tuple_; }
  bool is_undefined() const { return kind() == Kind::kUndefined; }
  bool is_none() const { return kind() == Kind::kNone; }
  bool is_string() const { return kind() == Kind::kString; }
  bool is_number() const { return kind() == Kind::kInt || kind() == Kind::kFloat || kind() == Kind::kBool; }

  // REQUIRES: the matching kind.
  const Undefined& as_undefined() const { return std::get<Undefined>(storage_); }
  bool as_bool() const { return std::get<bool>(storage_); }
  int64_t as_int() const { return std::get<int64_t>(storage_); }
  double as_float() const { return std::get<double>(storage_); }
  const std::string& as_string() const { return std::get<std::string>(storage_); }
  const List& as_list() const { return *std::get<std::shared_ptr<const List>>(storage_); }
  const Dict& as_dict() const { return *std::get<std::shared_ptr<const Dict>>(storage_); }
  Namespace& as_namespace() const { return *std::get<std::shared_ptr<Namespace>>(storage_); }
  const Callable& as_callable() const { return *std::get<std::shared_ptr<const Callable>>(storage_); }

  // The number as a double. REQUIRES: is_number().
  double to_double() const;

 private:
  explicit Value(Undefined undefined) : storage_(std::move(undefined)) {}
  explicit Value(std::nullptr_t) : storage_(nullptr) {}

  std::variant<Undefined, std::nullptr_t, bool, int64_t, double, std::string, std::shared_ptr<const List>,
               std::shared_ptr<const Dict>, std::shared_ptr<Namespace>, std::shared_ptr<const Callable>>
      storage_;
  bool tuple_ = false;
};

// The Python type name of `value`, for error messages ("str", "int", "list", "dict", "NoneType", "undefined").
std::string_view type_name(const Value& value);

// Python's bool(value); Undefined is false.
bool truthy(const Value& value);

// Python's str(value): None -> "None", true -> "True", 1.0 -> "1.0", lists and dicts as their repr; Undefined
// -> "".
std::string to_str(const Value& value);

// Python's repr(value): strings quoted as Python quotes them.
std::string repr(const Value& value);

// Python's ==, with Jinja's Undefined equal only to Undefined.
bool equals(const Value& a, const Value& b);

// The value of a JSON document (objects keep the document's key order).
Value from_json(const nlohmann::ordered_json& json);

}  // namespace spct::tokenizer::jinja
