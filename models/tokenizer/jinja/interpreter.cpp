#include "models/tokenizer/jinja/interpreter.h"

#include <cmath>
#include <optional>

#include "models/tokenizer/jinja/builtins.h"
#include "models/tokenizer/jinja/error.h"
#include "models/tokenizer/jinja/text.h"

namespace spct::tokenizer::jinja {

struct Interpreter::Scope {
  std::shared_ptr<Scope> parent;
  Dict vars;
};

namespace {

// Evaluation recurses once per nested statement, expression and macro call; this many frames per level of
// Limits::max_nesting leaves room for macros calling macros while bounding the C++ stack.
constexpr size_t kFramesPerNestingLevel = 4;

bool integer_of(const Value& value, int64_t& out) {
  if (value.kind() == Value::Kind::kInt) {
    out = value.as_int();
    return true;
  }
  if (value.kind() == Value::Kind::kBool) {
    out = value.as_bool() ? 1 : 0;
    return true;
  }
  return false;
}

std::string operand_error(std::string_view op, const Value& a, const Value& b) {
  return "unsupported operand type(s) for " + std::string(op) + ": '" + std::string(type_name(a)) + "' and '" +
         std::string(type_name(b)) + "'";
}

// Python's slice.indices(): the positions a[start:stop:step] selects from a sequence of `length`.
std::vector<size_t> slice_positions(size_t length, std::optional<int64_t> start, std::optional<int64_t> stop,
                                    int64_t step) {
  const auto n = static_cast<int64_t>(length);
  const int64_t lower = step > 0 ? 0 : -1;
  const int64_t upper = step > 0 ? n : n - 1;
  const auto clamp = [&](std::optional<int64_t> bound, int64_t fallback) {
    if (!bound) return fallback;
    int64_t value = *bound < 0 ? *bound + n : *bound;
    return value < lower ? lower : value > upper ? upper : value;
  };
  std::vector<size_t> positions;
  const int64_t from = clamp(start, step > 0 ? lower : upper);
  const int64_t to = clamp(stop, step > 0 ? upper : lower);
  for (int64_t i = from; step > 0 ? i < to : i > to; i += step) positions.push_back(static_cast<size_t>(i));
  return positions;
}

// Python's floor division and modulo for integers.
int64_t floor_div(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
int64_t floor_mod(int64_t a, int64_t b) {
  const int64_t r = a % b;
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}

}  // namespace

Interpreter::~Interpreter() {
  // Namespaces may refer to each other (and to themselves): empty them all so that every one is freed.
  for (const auto& ns : namespaces_) ns->attributes.entries.clear();
}

void Interpreter::fail(size_t offset, const std::string& message) const {
  fail_at(source_, offset, message);
}

void Interpreter::raise(size_t offset, const std::string& message) const {
  fail_at(source_, offset, message, /*raised=*/true);
}

void Interpreter::charge(uint64_t steps, size_t offset) {
  steps_ += steps;
  if (steps_ > limits_.max_steps) {
    fail(offset, "rendering takes more than " + std::to_string(limits_.max_steps) +
                     " steps (the limit on a template's work; does it loop without end?)");
  }
}

void Interpreter::check_string(size_t bytes, size_t offset) {
  charge(bytes / 64 + 1, offset);
  if (bytes > limits_.max_output_bytes) {
    fail(offset, "text longer than " + std::to_string(limits_.max_output_bytes) + " bytes (the limit on its output)");
  }
}

void Interpreter::check_nesting(const Value& value, size_t offset) {
  // Depth-first with an explicit stack, stopping below the limit: a cycle through namespaces counts as too deep.
  std::vector<std::pair<const Value*, size_t>> stack = {{&value, 1}};
  while (!stack.empty()) {
    const auto [current, depth] = stack.back();
    stack.pop_back();
    charge(1, offset);
    if (depth > limits_.max_nesting) {
      fail(offset, "value nests deeper than " + std::to_string(limits_.max_nesting) +
                       " levels (or a namespace contains itself)");
    }
    switch (current->kind()) {
      case Value::Kind::kList:
        for (const Value& item : current->as_list()) stack.emplace_back(&item, depth + 1);
        break;
      case Value::Kind::kDict:
        for (const auto& entry : current->as_dict().entries) stack.emplace_back(&entry.second, depth + 1);
        break;
      case Value::Kind::kNamespace:
        for (const auto& entry : current->as_namespace().attributes.entries)
          stack.emplace_back(&entry.second, depth + 1);
        break;
      default: break;
    }
  }
}

std::shared_ptr<Namespace> Interpreter::make_namespace() {
  namespaces_.push_back(std::make_shared<Namespace>());
  return namespaces_.back();
}

std::string Interpreter::render(const Body& body, Dict variables) {
  globals_ = std::make_shared<Scope>(Scope{nullptr, global_functions(*this)});
  const auto root = std::make_shared<Scope>(Scope{globals_, std::move(variables)});
  std::string out;
  exec(body, root, out);
  return out;
}

void Interpreter::append(std::string& out, std::string_view text, size_t offset) {
  out += text;
  check_string(out.size(), offset);
}

namespace {

// Counts evaluation frames for the lifetime of one exec/eval call.
class Frame {
 public:
  Frame(size_t& depth, size_t limit, Interpreter& in, size_t offset) : depth_(depth) {
    if (++depth_ > limit) {
      --depth_;
      in.fail(offset, "rendering recurses deeper than " + std::to_string(limit) + " levels (macros calling macros?)");
    }
  }
  ~Frame() { --depth_; }
  Frame(const Frame&) = delete;
  Frame& operator=(const Frame&) = delete;

 private:
  size_t& depth_;
};

}  // namespace

Interpreter::Flow Interpreter::exec(const Body& body, const std::shared_ptr<Scope>& scope, std::string& out) {
  for (const StmtPtr& stmt : body) {
    const Flow flow = exec_one(*stmt, scope, out);
    if (flow != Flow::kNormal) return flow;
  }
  return Flow::kNormal;
}

Interpreter::Flow Interpreter::exec_one(const Stmt& stmt, const std::shared_ptr<Scope>& scope, std::string& out) {
  const Frame frame(depth_, limits_.max_nesting * kFramesPerNestingLevel, *this, stmt.offset);
  charge(1, stmt.offset);
  switch (stmt.kind) {
    case Stmt::Kind::kText: append(out, stmt.text, stmt.offset); return Flow::kNormal;
    case Stmt::Kind::kOutput: append(out, to_str(eval(*stmt.expr, scope)), stmt.offset); return Flow::kNormal;
    case Stmt::Kind::kIf:
      for (const IfBranch& branch : stmt.branches) {
        if (!branch.condition || truthy(eval(*branch.condition, scope))) return exec(branch.body, scope, out);
      }
      return Flow::kNormal;
    case Stmt::Kind::kFor: exec_for(stmt, scope, out); return Flow::kNormal;
    case Stmt::Kind::kSet: exec_set(stmt, *scope, eval(*stmt.expr, scope)); return Flow::kNormal;
    case Stmt::Kind::kSetBlock: {
      std::string captured;
      exec(stmt.body, scope, captured);
      exec_set(stmt, *scope, Value(std::move(captured)));
      return Flow::kNormal;
    }
    case Stmt::Kind::kMacro: scope->vars.set(stmt.text, define_macro(stmt, scope)); return Flow::kNormal;
    case Stmt::Kind::kBreak: return Flow::kBreak;
    case Stmt::Kind::kContinue: return Flow::kContinue;
    case Stmt::Kind::kGeneration: return exec(stmt.body, scope, out);
  }
  return Flow::kNormal;
}

void Interpreter::exec_for(const Stmt& stmt, const std::shared_ptr<Scope>& scope, std::string& out) {
  const List all = iterate(*this, eval(*stmt.expr, scope), stmt.expr->offset);
  const auto bind = [&](Scope& target, const Value& item) {
    if (stmt.targets.size() == 1) {
      target.vars.set(stmt.targets[0], item);
      return;
    }
    const List parts = iterate(*this, item, stmt.offset);
    if (parts.size() != stmt.targets.size()) {
      fail(stmt.offset, "cannot unpack " + std::to_string(parts.size()) + " values into " +
                            std::to_string(stmt.targets.size()) + " loop variables");
    }
    for (size_t i = 0; i < parts.size(); ++i) target.vars.set(stmt.targets[i], parts[i]);
  };
  List items;
  if (stmt.condition) {
    for (const Value& item : all) {
      Scope probe{scope, {}};
      bind(probe, item);
      if (truthy(eval(*stmt.condition, std::make_shared<Scope>(std::move(probe))))) items.push_back(item);
    }
  } else {
    items = all;
  }
  if (items.empty()) {
    exec(stmt.else_body, scope, out);
    return;
  }
  const auto length = static_cast<int64_t>(items.size());
  for (int64_t i = 0; i < length; ++i) {
    charge(1, stmt.offset);
    auto iteration = std::make_shared<Scope>(Scope{scope, {}});
    bind(*iteration, items[static_cast<size_t>(i)]);
    Dict loop;
    loop.set("index", Value(i + 1));
    loop.set("index0", Value(i));
    loop.set("revindex", Value(length - i));
    loop.set("revindex0", Value(length - i - 1));
    loop.set("first", Value(i == 0));
    loop.set("last", Value(i + 1 == length));
    loop.set("length", Value(length));
    loop.set("depth", Value(1));
    loop.set("depth0", Value(0));
    loop.set("previtem", i > 0 ? items[static_cast<size_t>(i - 1)] : Value::undefined("there is no previous item"));
    loop.set("nextitem",
             i + 1 < length ? items[static_cast<size_t>(i + 1)] : Value::undefined("there is no next item"));
    Interpreter* self = this;
    loop.set("cycle", Value(Callable{"loop.cycle", [self, i](const CallArgs& args) {
                                       if (args.positional.empty())
                                         self->fail(args.offset, "no items for cycling given");
                                       return args.positional[static_cast<size_t>(i) % args.positional.size()];
                                     }}));
    iteration->vars.set("loop", Value(std::move(loop)));
    if (exec(stmt.body, iteration, out) == Flow::kBreak) break;
  }
}

void Interpreter::exec_set(const Stmt& stmt, Scope& scope, Value value) {
  if (!stmt.attribute.empty()) {
    const Value target = lookup(stmt.targets[0], scope);
    if (target.kind() != Value::Kind::kNamespace) {
      fail(stmt.offset, "cannot assign attribute '" + stmt.attribute + "' on '" + stmt.targets[0] +
                            "', which is not a namespace() (a " + std::string(type_name(target)) + ")");
    }
    target.as_namespace().attributes.set(stmt.attribute, std::move(value));
    check_nesting(target, stmt.offset);
    return;
  }
  if (stmt.targets.size() == 1) {
    scope.vars.set(stmt.targets[0], std::move(value));
    return;
  }
  const List parts = iterate(*this, value, stmt.offset);
  if (parts.size() != stmt.targets.size()) {
    fail(stmt.offset, "cannot unpack " + std::to_string(parts.size()) + " values into " +
                          std::to_string(stmt.targets.size()) + " variables");
  }
  for (size_t i = 0; i < parts.size(); ++i) scope.vars.set(stmt.targets[i], parts[i]);
}

Value Interpreter::define_macro(const Stmt& stmt, const std::shared_ptr<Scope>& scope) {
  // The macro sees the scope it was defined in (weakly held: a scope holding its own macro is no cycle).
  const std::weak_ptr<Scope> home = scope;
  const Stmt* macro = &stmt;
  Interpreter* self = this;
  return Value(
      Callable{stmt.text, [self, home, macro](const CallArgs& args) {
                 if (args.positional.size() > macro->params.size()) {
                   self->fail(args.offset, "macro '" + macro->text + "' takes not more than " +
                                               std::to_string(macro->params.size()) + " argument(s)");
                 }
                 std::shared_ptr<Scope> parent = home.lock();
                 auto local = std::make_shared<Scope>(Scope{parent ? parent : self->globals_, {}});
                 for (const auto& entry : args.keyword) {
                   // A named copy, not a structured binding: clang 14 cannot capture those in a lambda.
                   const std::string& keyword = entry.first;
                   const bool known = std::any_of(macro->params.begin(), macro->params.end(),
                                                  [&](const MacroParam& p) { return p.name == keyword; });
                   if (!known) {
                     self->fail(args.offset, "macro '" + macro->text + "' takes no keyword argument '" + keyword + "'");
                   }
                 }
                 for (size_t i = 0; i < macro->params.size(); ++i) {
                   const MacroParam& param = macro->params[i];
                   Value value = Value::undefined("'" + param.name + "' is undefined");
                   bool given = i < args.positional.size();
                   if (given) value = args.positional[i];
                   for (const auto& [keyword, argument] : args.keyword) {
                     if (keyword != param.name) continue;
                     if (given)
                       self->fail(args.offset, "macro '" + macro->text + "' got multiple values for '" + keyword + "'");
                     value = argument;
                     given = true;
                   }
                   if (!given && param.default_value) value = self->eval(*param.default_value, local);
                   local->vars.set(param.name, std::move(value));
                 }
                 std::string out;
                 self->exec(macro->body, local, out);
                 return Value(std::move(out));
               }});
}

Value Interpreter::lookup(const std::string& name, const Scope& scope) const {
  for (const Scope* current = &scope; current != nullptr; current = current->parent.get()) {
    if (const Value* found = current->vars.find(name)) return *found;
  }
  return Value::undefined("'" + name + "' is undefined");
}

Value Interpreter::call(const Value& callee, const CallArgs& args) {
  if (callee.is_undefined()) fail(args.offset, callee.as_undefined().what);
  if (callee.kind() != Value::Kind::kCallable)
    fail(args.offset, "'" + std::string(type_name(callee)) + "' object is not callable");
  const Frame frame(depth_, limits_.max_nesting * kFramesPerNestingLevel, *this, args.offset);
  return callee.as_callable().call(args);
}

CallArgs Interpreter::eval_args(const Expr& expr, const std::shared_ptr<Scope>& scope, size_t first_positional) {
  CallArgs args;
  args.offset = expr.offset;
  for (size_t i = first_positional; i < expr.children.size(); ++i)
    args.positional.push_back(eval(*expr.children[i], scope));
  for (const auto& [name, value] : expr.keywords) args.keyword.emplace_back(name, eval(*value, scope));
  return args;
}

namespace {

Value get_attribute(Interpreter& in, const Value& object, const std::string& name, size_t offset) {
  if (object.is_undefined()) in.fail(offset, object.as_undefined().what);
  if (!name.empty() && name[0] == '_') {
    return Value::undefined("access to attribute '" + name + "' of a " + std::string(type_name(object)) + " is unsafe");
  }
  if (std::optional<Value> method = method_of(in, object, name)) return *method;
  if (object.kind() == Value::Kind::kDict) {
    if (const Value* found = object.as_dict().find(name)) return *found;
  } else if (object.kind() == Value::Kind::kNamespace) {
    if (const Value* found = object.as_namespace().attributes.find(name)) return *found;
  }
  return Value::undefined("'" + std::string(type_name(object)) + " object' has no attribute '" + name + "'");
}

Value get_item(Interpreter& in, const Value& object, const Value& key, size_t offset) {
  if (object.is_undefined()) in.fail(offset, object.as_undefined().what);
  int64_t index = 0;
  const bool integer_key = integer_of(key, index);
  if (object.kind() == Value::Kind::kList && integer_key) {
    const auto size = static_cast<int64_t>(object.as_list().size());
    if (index < 0) index += size;
    if (index >= 0 && index < size) return object.as_list()[static_cast<size_t>(index)];
    return Value::undefined("list object has no element " + repr(key));
  }
  if (object.is_string() && integer_key) {
    const std::u32string cps = text::decode(object.as_string());
    const auto size = static_cast<int64_t>(cps.size());
    if (index < 0) index += size;
    if (index >= 0 && index < size)
      return Value(text::encode(std::u32string_view(cps).substr(static_cast<size_t>(index), 1)));
    return Value::undefined("str object has no element " + repr(key));
  }
  if (object.kind() == Value::Kind::kDict && key.is_string()) {
    if (const Value* found = object.as_dict().find(key.as_string())) return *found;
    return Value::undefined("'dict object' has no attribute '" + key.as_string() + "'");
  }
  if (key.is_string()) return get_attribute(in, object, key.as_string(), offset);
  if (key.is_undefined()) in.fail(offset, key.as_undefined().what);
  return Value::undefined("'" + std::string(type_name(object)) + " object' has no element " + repr(key));
}

bool contains(Interpreter& in, const Value& container, const Value& item, size_t offset) {
  switch (container.kind()) {
    case Value::Kind::kString:
      if (!item.is_string()) {
        in.fail(offset, "'in <string>' requires string as left operand, not " + std::string(type_name(item)));
      }
      return container.as_string().find(item.as_string()) != std::string::npos;
    case Value::Kind::kDict: return item.is_string() && container.as_dict().find(item.as_string()) != nullptr;
    case Value::Kind::kUndefined: return false;
    default:
      for (const Value& element : iterate(in, container, offset)) {
        in.charge(1, offset);
        if (equals(element, item)) return true;
      }
      return false;
  }
}

}  // namespace

Value Interpreter::eval(const Expr& expr, const std::shared_ptr<Scope>& scope) {
  const Frame frame(depth_, limits_.max_nesting * kFramesPerNestingLevel, *this, expr.offset);
  charge(1, expr.offset);
  switch (expr.kind) {
    case Expr::Kind::kLiteral: return expr.literal;
    case Expr::Kind::kName: return lookup(expr.name, *scope);
    case Expr::Kind::kList: {
      List items;
      for (const ExprPtr& child : expr.children) items.push_back(eval(*child, scope));
      Value list = expr.op == "tuple" ? Value::tuple(std::move(items)) : Value(std::move(items));
      check_nesting(list, expr.offset);
      return list;
    }
    case Expr::Kind::kDict: {
      Dict dict;
      for (size_t i = 0; i + 1 < expr.children.size(); i += 2) {
        const Value key = eval(*expr.children[i], scope);
        if (!key.is_string())
          fail(expr.children[i]->offset, "dict keys must be strings, not " + std::string(type_name(key)));
        dict.set(key.as_string(), eval(*expr.children[i + 1], scope));
      }
      Value value(std::move(dict));
      check_nesting(value, expr.offset);
      return value;
    }
    case Expr::Kind::kAttribute: return get_attribute(*this, eval(*expr.children[0], scope), expr.name, expr.offset);
    case Expr::Kind::kItem:
      return get_item(*this, eval(*expr.children[0], scope), eval(*expr.children[1], scope), expr.offset);
    case Expr::Kind::kSlice: {
      const Value object = eval(*expr.children[0], scope);
      std::optional<int64_t> bounds[3];
      for (size_t i = 0; i < 3; ++i) {
        if (!expr.children[i + 1]) continue;
        const Value bound = eval(*expr.children[i + 1], scope);
        if (bound.is_none()) continue;
        int64_t number = 0;
        if (!integer_of(bound, number))
          fail(expr.offset, "slice indices must be integers or None, not " + std::string(type_name(bound)));
        bounds[i] = number;
      }
      const int64_t step = bounds[2].value_or(1);
      if (step == 0) fail(expr.offset, "slice step cannot be zero");
      if (step == INT64_MIN) fail(expr.offset, "slice step out of range");
      if (object.kind() == Value::Kind::kList) {
        List items;
        for (const size_t i : slice_positions(object.as_list().size(), bounds[0], bounds[1], step))
          items.push_back(object.as_list()[i]);
        charge(items.size(), expr.offset);
        return Value(std::move(items));
      }
      if (object.is_string()) {
        const std::u32string cps = text::decode(object.as_string());
        std::u32string out;
        for (const size_t i : slice_positions(cps.size(), bounds[0], bounds[1], step)) out += cps[i];
        check_string(out.size(), expr.offset);
        return Value(text::encode(out));
      }
      if (object.is_undefined()) fail(expr.offset, object.as_undefined().what);
      fail(expr.offset, "'" + std::string(type_name(object)) + "' object is not subscriptable");
    }
    case Expr::Kind::kCall: {
      const Value callee = eval(*expr.children[0], scope);
      return call(callee, eval_args(expr, scope, 1));
    }
    case Expr::Kind::kFilter: {
      const Value operand = eval(*expr.children[0], scope);
      return apply_filter(*this, expr.name, operand, eval_args(expr, scope, 1));
    }
    case Expr::Kind::kTest: {
      const Value operand = eval(*expr.children[0], scope);
      return Value(apply_test(*this, expr.name, operand, eval_args(expr, scope, 1)) != expr.negated);
    }
    case Expr::Kind::kUnary: {
      const Value operand = eval(*expr.children[0], scope);
      if (expr.op == "not") return Value(!truthy(operand));
      if (operand.is_undefined()) fail(expr.offset, operand.as_undefined().what);
      int64_t integer = 0;
      if (integer_of(operand, integer)) {
        if (expr.op == "+") return Value(integer);
        if (integer == INT64_MIN) fail(expr.offset, "integer overflow");
        return Value(-integer);
      }
      if (operand.kind() == Value::Kind::kFloat)
        return Value(expr.op == "-" ? -operand.as_float() : operand.as_float());
      fail(expr.offset, "bad operand type for unary " + expr.op + ": '" + std::string(type_name(operand)) + "'");
    }
    case Expr::Kind::kBinary: return eval_binary(expr, scope);
    case Expr::Kind::kCompare: return eval_compare(expr, scope);
    case Expr::Kind::kConditional:
      if (truthy(eval(*expr.children[1], scope))) return eval(*expr.children[0], scope);
      if (expr.children[2]) return eval(*expr.children[2], scope);
      return Value::undefined("the inline if-expression evaluated to false and no else section was defined");
  }
  return Value();
}

Value Interpreter::eval_binary(const Expr& expr, const std::shared_ptr<Scope>& scope) {
  const std::string& op = expr.op;
  const size_t at = expr.offset;
  const Value left = eval(*expr.children[0], scope);
  if (op == "and") return truthy(left) ? eval(*expr.children[1], scope) : left;
  if (op == "or") return truthy(left) ? left : eval(*expr.children[1], scope);
  const Value right = eval(*expr.children[1], scope);
  if (op == "~") {
    std::string joined = to_str(left) + to_str(right);
    check_string(joined.size(), at);
    return Value(std::move(joined));
  }
  if (left.is_undefined()) fail(at, left.as_undefined().what);
  if (right.is_undefined()) fail(at, right.as_undefined().what);
  int64_t a = 0, b = 0;
  const bool integers = integer_of(left, a) && integer_of(right, b);
  const bool numbers = left.is_number() && right.is_number();
  if (op == "+" || op == "-" || op == "*") {
    if (integers) {
      int64_t result = 0;
      const bool overflow = op == "+"   ? __builtin_add_overflow(a, b, &result)
                            : op == "-" ? __builtin_sub_overflow(a, b, &result)
                                        : __builtin_mul_overflow(a, b, &result);
      if (overflow) fail(at, "integer overflow in " + op);
      return Value(result);
    }
    if (numbers) {
      const double x = left.to_double(), y = right.to_double();
      return Value(op == "+" ? x + y : op == "-" ? x - y : x * y);
    }
  }
  if (op == "+") {
    if (left.is_string() && right.is_string()) {
      check_string(left.as_string().size() + right.as_string().size(), at);
      return Value(left.as_string() + right.as_string());
    }
    if (left.kind() == Value::Kind::kList && right.kind() == Value::Kind::kList) {
      List items = left.as_list();
      if (left.is_tuple() != right.is_tuple()) fail(at, operand_error(op, left, right));
      charge(items.size() + right.as_list().size(), at);
      items.insert(items.end(), right.as_list().begin(), right.as_list().end());
      return left.is_tuple() ? Value::tuple(std::move(items)) : Value(std::move(items));
    }
  }
  if (op == "*") {
    // Repetition: str * int, int * str, list * int.
    const Value& sequence = integer_of(right, b) ? left : right;
    int64_t times = 0;
    if (integer_of(&sequence == &left ? right : left, times) &&
        (sequence.is_string() || sequence.kind() == Value::Kind::kList)) {
      times = std::max<int64_t>(0, times);
      const size_t unit = sequence.is_string() ? sequence.as_string().size() : sequence.as_list().size();
      if (unit != 0 && static_cast<uint64_t>(times) > limits_.max_output_bytes / unit) {
        fail(at, "repetition result larger than " + std::to_string(limits_.max_output_bytes) + " items or bytes");
      }
      if (sequence.is_string()) {
        std::string out;
        for (int64_t i = 0; i < times; ++i) out += sequence.as_string();
        check_string(out.size(), at);
        return Value(std::move(out));
      }
      List items;
      charge(unit * static_cast<uint64_t>(times), at);
      for (int64_t i = 0; i < times; ++i)
        items.insert(items.end(), sequence.as_list().begin(), sequence.as_list().end());
      return Value(std::move(items));
    }
  }
  if (op == "/" && numbers) {
    if (right.to_double() == 0.0) fail(at, "division by zero");
    return Value(left.to_double() / right.to_double());
  }
  if ((op == "//" || op == "%") && numbers) {
    if (right.to_double() == 0.0) fail(at, "integer division or modulo by zero");
    if (integers) {
      if (a == INT64_MIN && b == -1) fail(at, "integer overflow in " + op);
      return Value(op == "//" ? floor_div(a, b) : floor_mod(a, b));
    }
    const double x = left.to_double(), y = right.to_double();
    if (op == "//") return Value(std::floor(x / y));
    const double r = std::fmod(x, y);
    return Value((r != 0.0 && ((r < 0) != (y < 0))) ? r + y : r);
  }
  if (op == "**" && numbers) {
    if (integers && b >= 0) {
      int64_t result = 1, base = a;
      for (int64_t e = b; e > 0; e >>= 1) {
        if ((e & 1) != 0 && __builtin_mul_overflow(result, base, &result)) fail(at, "integer overflow in **");
        if (e > 1 && __builtin_mul_overflow(base, base, &base)) fail(at, "integer overflow in **");
      }
      return Value(result);
    }
    return Value(std::pow(left.to_double(), right.to_double()));
  }
  if (op == "%" && left.is_string()) fail(at, "printf-style string formatting ('...' % value) is not supported");
  fail(at, operand_error(op, left, right));
}

Value Interpreter::eval_compare(const Expr& expr, const std::shared_ptr<Scope>& scope) {
  Value left = eval(*expr.children[0], scope);
  for (size_t i = 0; i < expr.ops.size(); ++i) {
    Value right = eval(*expr.children[i + 1], scope);
    const std::string& op = expr.ops[i];
    bool result;
    if (op == "==") {
      result = equals(left, right);
    } else if (op == "!=") {
      result = !equals(left, right);
    } else if (op == "in" || op == "not in") {
      if (right.kind() == Value::Kind::kNone) fail(expr.offset, "argument of type 'NoneType' is not iterable");
      result = contains(*this, right, left, expr.offset) == (op == "in");
    } else {
      const int order = compare_values(*this, left, right, expr.offset);
      result = op == "<" ? order < 0 : op == ">" ? order > 0 : op == "<=" ? order <= 0 : order >= 0;
    }
    if (!result) return Value(false);
    left = std::move(right);
  }
  return Value(true);
}

List iterate(Interpreter& interpreter, const Value& value, size_t offset) {
  switch (value.kind()) {
    case Value::Kind::kUndefined: return {};
    case Value::Kind::kList: interpreter.charge(value.as_list().size(), offset); return value.as_list();
    case Value::Kind::kDict: {
      List keys;
      for (const auto& entry : value.as_dict().entries) keys.emplace_back(entry.first);
      interpreter.charge(keys.size(), offset);
      return keys;
    }
    case Value::Kind::kString: {
      List characters;
      for (const char32_t c : text::decode(value.as_string()))
        characters.emplace_back(text::encode(std::u32string_view(&c, 1)));
      interpreter.charge(characters.size(), offset);
      return characters;
    }
    default: interpreter.fail(offset, "'" + std::string(type_name(value)) + "' object is not iterable");
  }
}

}  // namespace spct::tokenizer::jinja
