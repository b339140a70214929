// The builtins chat templates call: Jinja's filters (trim, length, tojson, default, join, map, select, ...), its
// tests (defined, none, string, mapping, iterable, ...), Python's str/dict/list methods (strip, split,
// startswith, items, get, ...) and the globals transformers provides (range, dict, namespace, raise_exception,
// strftime_now). Each behaves as its Jinja2 / Python counterpart does on the values of value.h; unknown names and
// bad arguments are TemplateErrors at the call's position.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "models/tokenizer/jinja/interpreter.h"
#include "models/tokenizer/jinja/value.h"

namespace spct::tokenizer::jinja {

Value apply_filter(Interpreter& in, std::string_view name, const Value& operand, const CallArgs& args);

bool apply_test(Interpreter& in, std::string_view name, const Value& operand, const CallArgs& args);

// `object.name` when it names a method of the object's type (a Callable bound to the object), else nullopt.
std::optional<Value> method_of(Interpreter& in, const Value& object, std::string_view name);

// The global functions every template sees.
Dict global_functions(Interpreter& in);

// Python's ordering (<) of two values: numbers, strings (by code point) and lists; -1, 0 or 1. Fails (at
// `offset`) for values Python cannot order.
int compare_values(Interpreter& in, const Value& a, const Value& b, size_t offset);

}  // namespace spct::tokenizer::jinja
