// The interpreter: renders a parsed template over a set of variables, counting its work against Limits. The
// builtins (filters, tests, methods, globals) call back into it to charge work, report errors at a template
// position and call template macros.
//
// Ownership: borrows the source and the syntax tree, which must outlive it. One render per instance.
// Thread safety: not thread-safe (each render() of a Template makes its own).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "models/tokenizer/jinja/ast.h"
#include "models/tokenizer/jinja/template.h"
#include "models/tokenizer/jinja/value.h"

namespace spct::tokenizer::jinja {

class Interpreter {
 public:
  Interpreter(std::string_view source, const Limits& limits) : source_(source), limits_(limits) {}
  ~Interpreter();
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  std::string render(const Body& body, Dict variables);

  // Adds `steps` of work; fails (at `offset`) once the total passes Limits::max_steps.
  void charge(uint64_t steps, size_t offset);
  // Charges for a string of `bytes` just built and fails when it is longer than Limits::max_output_bytes.
  void check_string(size_t bytes, size_t offset);
  // Fails when `value` nests lists, dicts and namespaces deeper than Limits::max_nesting (charging for the walk).
  void check_nesting(const Value& value, size_t offset);
  [[noreturn]] void fail(size_t offset, const std::string& message) const;
  // raise_exception(message) called by the template.
  [[noreturn]] void raise(size_t offset, const std::string& message) const;

  // A new namespace() object. The interpreter keeps each one so that it can break reference cycles between them
  // (`{% set ns.self = ns %}`) when the render ends.
  std::shared_ptr<Namespace> make_namespace();

  // Calls `callee` (a macro, builtin or bound method). Fails when it is not callable.
  Value call(const Value& callee, const CallArgs& args);

 private:
  struct Scope;
  enum class Flow { kNormal, kBreak, kContinue };

  Flow exec(const Body& body, const std::shared_ptr<Scope>& scope, std::string& out);
  Flow exec_one(const Stmt& stmt, const std::shared_ptr<Scope>& scope, std::string& out);
  void exec_for(const Stmt& stmt, const std::shared_ptr<Scope>& scope, std::string& out);
  void exec_set(const Stmt& stmt, Scope& scope, Value value);
  Value define_macro(const Stmt& stmt, const std::shared_ptr<Scope>& scope);
  void append(std::string& out, std::string_view text, size_t offset);

  Value eval(const Expr& expr, const std::shared_ptr<Scope>& scope);
  Value eval_binary(const Expr& expr, const std::shared_ptr<Scope>& scope);
  Value eval_compare(const Expr& expr, const std::shared_ptr<Scope>& scope);
  Value lookup(const std::string& name, const Scope& scope) const;
  CallArgs eval_args(const Expr& expr, const std::shared_ptr<Scope>& scope, size_t first_positional);

  std::string_view source_;
  Limits limits_;
  uint64_t steps_ = 0;
  size_t depth_ = 0;  // macro calls in progress
  std::shared_ptr<Scope> globals_;
  std::vector<std::shared_ptr<Namespace>> namespaces_;
};

// The items of `value` when iterated (a for loop, list(), join, ...): a list's elements, a dict's keys, a
// string's characters; nothing for Undefined. Fails (at `offset`) for other values.
List iterate(Interpreter& interpreter, const Value& value, size_t offset);

}  // namespace spct::tokenizer::jinja
