// The syntax tree of a template: statements (text, output, if, for, set, macro, ...) holding expressions. Every
// node keeps the byte offset of its first token, so that runtime errors name the template line and column.
//
// Ownership: a node owns its children. Thread safety: immutable after parsing.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "models/tokenizer/jinja/value.h"

namespace spct::tokenizer::jinja {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  enum class Kind {
    kLiteral,      // `literal`
    kName,         // variable `name`
    kList,         // [children...]; a tuple (a, b) when `op` is "tuple"
    kDict,         // {children[0]: children[1], ...}
    kAttribute,    // children[0].name
    kItem,         // children[0][children[1]]
    kSlice,        // children[0][children[1]:children[2]:children[3]] (absent parts are null)
    kCall,         // children[0](children[1..], keywords)
    kFilter,       // children[0] | name(children[1..], keywords)
    kTest,         // children[0] is [not] name(children[1..]); `negated`
    kUnary,        // `op` ("-", "+", "not") children[0]
    kBinary,       // children[0] `op` children[1]: + - * / // % ** ~ and or
    kCompare,      // children[0] ops[0] children[1] ops[1] children[2] ...: == != < > <= >= in "not in"
    kConditional,  // children[0] if children[1] else children[2] (null: undefined)
  };
  Kind kind;
  size_t offset;
  Value literal;
  std::string name;
  std::string op;
  std::vector<std::string> ops;
  bool negated = false;
  std::vector<ExprPtr> children;
  std::vector<std::pair<std::string, ExprPtr>> keywords;
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct IfBranch {
  ExprPtr condition;  // null for the else branch
  Body body;
};

struct MacroParam {
  std::string name;
  ExprPtr default_value;  // null: required
};

struct Stmt {
  enum class Kind {
    kText,      // `text`
    kOutput,    // {{ expr }}
    kIf,        // branches
    kFor,       // for targets in expr [if condition]: body [else else_body]
    kSet,       // set targets = expr, or set targets[0].attribute = expr (a namespace attribute)
    kSetBlock,  // set targets[0] %}body{% endset
    kMacro,     // macro name(params): body
    kBreak,
    kContinue,
    kGeneration,  // transformers' {% generation %} marks assistant text; renders its body unchanged
  };
  Kind kind;
  size_t offset;
  std::string text;
  ExprPtr expr;
  ExprPtr condition;
  std::vector<std::string> targets;
  std::string attribute;
  std::vector<IfBranch> branches;
  std::vector<MacroParam> params;
  Body body;
  Body else_body;
};

}  // namespace spct::tokenizer::jinja
