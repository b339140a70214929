#include "models/tokenizer/jinja/parser.h"

#include <charconv>
#include <cmath>
#include <initializer_list>

#include "models/tokenizer/jinja/error.h"

namespace spct::tokenizer::jinja {
namespace {

using Kind = Token::Kind;

std::string describe(const Token& token) {
  switch (token.kind) {
    case Kind::kText: return "text";
    case Kind::kVariableBegin: return "'{{'";
    case Kind::kVariableEnd: return "'}}'";
    case Kind::kBlockBegin: return "'{%'";
    case Kind::kBlockEnd: return "'%}'";
    case Kind::kName: return "'" + token.text + "'";
    case Kind::kString: return "a string";
    case Kind::kInteger:
    case Kind::kFloat: return "the number " + token.text;
    case Kind::kOperator: return "'" + token.text + "'";
    case Kind::kEnd: return "the end of the template";
  }
  return "a token";
}

class Parser {
 public:
  Parser(std::string_view source, const std::vector<Token>& tokens, size_t max_nesting)
      : source_(source), tokens_(tokens), max_nesting_(max_nesting) {}

  Body run() {
    Body body = parse_body({}, 0, "");
    return body;
  }

 private:
  // Counts nesting on the way down and back up, so that recursion is bounded.
  class Nest {
   public:
    Nest(Parser& parser, size_t offset) : parser_(parser) {
      if (++parser_.depth_ > parser_.max_nesting_) {
        fail_at(parser_.source_, offset,
                "template nests deeper than " + std::to_string(parser_.max_nesting_) + " levels");
      }
    }
    ~Nest() { --parser_.depth_; }
    Nest(const Nest&) = delete;
    Nest& operator=(const Nest&) = delete;

   private:
    Parser& parser_;
  };

  const Token& current() const { return tokens_[pos_]; }
  const Token& peek(size_t ahead = 1) const { return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)]; }
  const Token& advance() {
    const Token& token = tokens_[pos_];
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return token;
  }
  bool is_name(std::string_view name) const { return current().kind == Kind::kName && current().text == name; }
  bool is_op(std::string_view op) const { return current().kind == Kind::kOperator && current().text == op; }
  bool skip_name(std::string_view name) {
    if (!is_name(name)) return false;
    advance();
    return true;
  }
  bool skip_op(std::string_view op) {
    if (!is_op(op)) return false;
    advance();
    return true;
  }
  [[noreturn]] void fail(const Token& token, const std::string& message) const {
    fail_at(source_, token.offset, message);
  }
  void expect_op(std::string_view op) {
    if (!skip_op(op)) fail(current(), "expected '" + std::string(op) + "', found " + describe(current()));
  }
  std::string expect_name(std::string_view what) {
    if (current().kind != Kind::kName)
      fail(current(), "expected " + std::string(what) + ", found " + describe(current()));
    return advance().text;
  }
  void expect_block_end() {
    if (current().kind != Kind::kBlockEnd) fail(current(), "expected '%}', found " + describe(current()));
    advance();
  }

  // Statements up to a block tag named in `ends` (left unread: the caller reads the end tag), or to the end of
  // the template when `ends` is empty. `opener` (a tag name at `open_offset`) names what a missing end closes.
  Body parse_body(std::initializer_list<std::string_view> ends, size_t open_offset, std::string_view opener) {
    Body body;
    while (true) {
      const Token& token = current();
      switch (token.kind) {
        case Kind::kEnd: {
          if (ends.size() == 0) return body;
          const SourcePosition at = position_of(source_, open_offset);
          std::string_view end_tag = *ends.begin();
          for (const std::string_view end : ends) {
            if (end.rfind("end", 0) == 0) end_tag = end;
          }
          fail(token, "missing {% " + std::string(end_tag) + " %} for the '" + std::string(opener) + "' at line " +
                          std::to_string(at.line) + ", column " + std::to_string(at.column));
        }
        case Kind::kText: {
          auto stmt = make_stmt(Stmt::Kind::kText, token.offset);
          stmt->text = token.text;
          body.push_back(std::move(stmt));
          advance();
          break;
        }
        case Kind::kVariableBegin: {
          advance();
          auto stmt = make_stmt(Stmt::Kind::kOutput, token.offset);
          stmt->expr = parse_tuple(true, false, {});
          if (current().kind != Kind::kVariableEnd) fail(current(), "expected '}}', found " + describe(current()));
          advance();
          body.push_back(std::move(stmt));
          break;
        }
        case Kind::kBlockBegin: {
          const Token& name = peek();
          for (const std::string_view end : ends) {
            if (name.kind == Kind::kName && name.text == end) return body;
          }
          advance();
          body.push_back(parse_statement(token.offset));
          break;
        }
        default: fail(token, "unexpected " + describe(token));
      }
    }
  }

  // After "{% name" (end tag names): reads the end tag "{% name %}".
  void expect_end_tag(std::string_view name) {
    advance();  // {%
    if (!skip_name(name)) fail(current(), "expected '" + std::string(name) + "'");
    expect_block_end();
  }

  static StmtPtr make_stmt(Stmt::Kind kind, size_t offset) {
    auto stmt = std::make_unique<Stmt>();
    stmt->kind = kind;
    stmt->offset = offset;
    return stmt;
  }

  StmtPtr parse_statement(size_t offset) {
    const Nest nest(*this, offset);
    const Token& name = current();
    if (name.kind != Kind::kName) fail(name, "expected a tag name, found " + describe(name));
    const std::string tag = advance().text;
    if (tag == "if") return parse_if(offset);
    if (tag == "for") return parse_for(offset);
    if (tag == "set") return parse_set(offset);
    if (tag == "macro") return parse_macro(offset);
    if (tag == "break" || tag == "continue") {
      if (loop_depth_ == 0) fail(name, "'" + tag + "' outside a for loop");
      auto stmt = make_stmt(tag == "break" ? Stmt::Kind::kBreak : Stmt::Kind::kContinue, offset);
      expect_block_end();
      return stmt;
    }
    if (tag == "generation") {
      auto stmt = make_stmt(Stmt::Kind::kGeneration, offset);
      expect_block_end();
      stmt->body = parse_body({"endgeneration"}, offset, "generation");
      expect_end_tag("endgeneration");
      return stmt;
    }
    if (tag.rfind("end", 0) == 0 || tag == "elif" || tag == "else") fail(name, "unexpected '" + tag + "'");
    fail(name, "unknown tag '" + tag +
                   "' (chat templates may use if, for, set, macro, break, continue, raw, "
                   "generation)");
  }

  StmtPtr parse_if(size_t offset) {
    auto stmt = make_stmt(Stmt::Kind::kIf, offset);
    ExprPtr condition = parse_tuple(false, false, {});
    expect_block_end();
    while (true) {
      Body body = parse_body({"elif", "else", "endif"}, offset, "if");
      stmt->branches.push_back({std::move(condition), std::move(body)});
      advance();  // {%
      const std::string tag = advance().text;
      if (tag == "elif") {
        condition = parse_tuple(false, false, {});
        expect_block_end();
        continue;
      }
      if (tag == "else") {
        expect_block_end();
        stmt->branches.push_back({nullptr, parse_body({"endif"}, offset, "if")});
        expect_end_tag("endif");
        return stmt;
      }
      expect_block_end();  // endif
      return stmt;
    }
  }

  StmtPtr parse_for(size_t offset) {
    auto stmt = make_stmt(Stmt::Kind::kFor, offset);
    stmt->targets = parse_targets({"in"});
    if (!skip_name("in")) fail(current(), "expected 'in', found " + describe(current()));
    stmt->expr = parse_tuple(false, false, {"recursive"});
    if (skip_name("if")) stmt->condition = parse_expression(true);
    if (is_name("recursive")) fail(current(), "recursive for loops are not supported");
    expect_block_end();
    ++loop_depth_;
    stmt->body = parse_body({"endfor", "else"}, offset, "for");
    --loop_depth_;
    advance();  // {%
    if (advance().text == "else") {
      expect_block_end();
      stmt->else_body = parse_body({"endfor"}, offset, "for");
      expect_end_tag("endfor");
    } else {
      expect_block_end();
    }
    return stmt;
  }

  // Assignment targets: "name" or "a, b" (a tuple, optionally in parentheses).
  std::vector<std::string> parse_targets(std::initializer_list<std::string_view> ends) {
    std::vector<std::string> targets;
    const bool parenthesized = skip_op("(");
    do {
      if (parenthesized && is_op(")")) break;
      for (const std::string_view end : ends) {
        if (!targets.empty() && is_name(end)) return targets;
      }
      targets.push_back(expect_name("a variable name"));
    } while (skip_op(","));
    if (parenthesized) expect_op(")");
    return targets;
  }

  StmtPtr parse_set(size_t offset) {
    auto stmt = make_stmt(Stmt::Kind::kSet, offset);
    if (current().kind == Kind::kName && peek().kind == Kind::kOperator && peek().text == ".") {
      stmt->targets.push_back(advance().text);
      advance();  // .
      stmt->attribute = expect_name("an attribute name");
    } else {
      stmt->targets = parse_targets({});
    }
    if (skip_op("=")) {
      stmt->expr = parse_tuple(true, false, {});
      expect_block_end();
      return stmt;
    }
    if (!stmt->attribute.empty() || stmt->targets.size() != 1) fail(current(), "expected '='");
    stmt->kind = Stmt::Kind::kSetBlock;
    expect_block_end();
    stmt->body = parse_body({"endset"}, offset, "set");
    expect_end_tag("endset");
    return stmt;
  }

  StmtPtr parse_macro(size_t offset) {
    auto stmt = make_stmt(Stmt::Kind::kMacro, offset);
    stmt->text = expect_name("a macro name");
    expect_op("(");
    while (!is_op(")")) {
      if (!stmt->params.empty()) expect_op(",");
      if (is_op(")")) break;
      MacroParam param;
      param.name = expect_name("a parameter name");
      if (skip_op("=")) param.default_value = parse_expression(true);
      stmt->params.push_back(std::move(param));
    }
    advance();  // )
    expect_block_end();
    const size_t enclosing_loops = loop_depth_;
    loop_depth_ = 0;  // a macro body cannot break the loop it is called from
    stmt->body = parse_body({"endmacro"}, offset, "macro");
    loop_depth_ = enclosing_loops;
    expect_end_tag("endmacro");
    return stmt;
  }

  // ---- expressions ----

  ExprPtr make_expr(Expr::Kind kind, size_t offset) {
    auto expr = std::make_unique<Expr>();
    expr->kind = kind;
    expr->offset = offset;
    return expr;
  }

  bool at_tuple_end(std::initializer_list<std::string_view> extra_ends) const {
    const Token& token = current();
    if (token.kind == Kind::kVariableEnd || token.kind == Kind::kBlockEnd || token.kind == Kind::kEnd) return true;
    if (token.kind == Kind::kOperator && (token.text == ")" || token.text == "]")) return true;
    for (const std::string_view end : extra_ends) {
      if (is_name(end)) return true;
    }
    return false;
  }

  // An expression or a comma-separated tuple of them.
  ExprPtr parse_tuple(bool with_conditional, bool explicit_parentheses,
                      std::initializer_list<std::string_view> extra_ends) {
    const size_t offset = current().offset;
    std::vector<ExprPtr> items;
    bool is_tuple = false;
    while (true) {
      if (!items.empty()) expect_op(",");
      if (!items.empty() && at_tuple_end(extra_ends)) break;
      if (items.empty() && explicit_parentheses && is_op(")")) break;
      items.push_back(parse_expression(with_conditional));
      if (!is_op(",")) break;
      is_tuple = true;
    }
    if (!is_tuple && items.size() == 1) return std::move(items[0]);
    auto tuple = make_expr(Expr::Kind::kList, offset);
    tuple->op = "tuple";
    tuple->children = std::move(items);
    return tuple;
  }

  ExprPtr parse_expression(bool with_conditional) {
    const Nest nest(*this, current().offset);
    if (!with_conditional) return parse_or();
    ExprPtr expr = parse_or();
    while (is_name("if")) {
      const size_t offset = advance().offset;
      auto conditional = make_expr(Expr::Kind::kConditional, offset);
      conditional->children.push_back(std::move(expr));
      conditional->children.push_back(parse_or());
      conditional->children.push_back(skip_name("else") ? parse_expression(true) : nullptr);
      expr = std::move(conditional);
    }
    return expr;
  }

  ExprPtr binary(std::string op, ExprPtr left, ExprPtr right, size_t offset) {
    auto expr = make_expr(Expr::Kind::kBinary, offset);
    expr->op = std::move(op);
    expr->children.push_back(std::move(left));
    expr->children.push_back(std::move(right));
    return expr;
  }

  ExprPtr parse_or() {
    ExprPtr left = parse_and();
    while (is_name("or")) {
      const size_t offset = advance().offset;
      left = binary("or", std::move(left), parse_and(), offset);
    }
    return left;
  }

  ExprPtr parse_and() {
    ExprPtr left = parse_not();
    while (is_name("and")) {
      const size_t offset = advance().offset;
      left = binary("and", std::move(left), parse_not(), offset);
    }
    return left;
  }

  ExprPtr parse_not() {
    if (is_name("not")) {
      const Nest nest(*this, current().offset);
      auto expr = make_expr(Expr::Kind::kUnary, advance().offset);
      expr->op = "not";
      expr->children.push_back(parse_not());
      return expr;
    }
    return parse_compare();
  }

  ExprPtr parse_compare() {
    const size_t offset = current().offset;
    ExprPtr first = parse_math1();
    ExprPtr compare;
    while (true) {
      std::string op;
      if (current().kind == Kind::kOperator &&
          (is_op("==") || is_op("!=") || is_op("<") || is_op(">") || is_op("<=") || is_op(">="))) {
        op = advance().text;
      } else if (is_name("in")) {
        advance();
        op = "in";
      } else if (is_name("not") && peek().kind == Kind::kName && peek().text == "in") {
        advance();
        advance();
        op = "not in";
      } else {
        break;
      }
      if (!compare) {
        compare = make_expr(Expr::Kind::kCompare, offset);
        compare->children.push_back(std::move(first));
      }
      compare->ops.push_back(op);
      compare->children.push_back(parse_math1());
    }
    return compare ? std::move(compare) : std::move(first);
  }

  ExprPtr parse_math1() {
    ExprPtr left = parse_concat();
    while (is_op("+") || is_op("-")) {
      const Token& op = advance();
      left = binary(op.text, std::move(left), parse_concat(), op.offset);
    }
    return left;
  }

  ExprPtr parse_concat() {
    ExprPtr left = parse_math2();
    while (is_op("~")) {
      const size_t offset = advance().offset;
      left = binary("~", std::move(left), parse_math2(), offset);
    }
    return left;
  }

  ExprPtr parse_math2() {
    ExprPtr left = parse_pow();
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
      const Token& op = advance();
      left = binary(op.text, std::move(left), parse_pow(), op.offset);
    }
    return left;
  }

  ExprPtr parse_pow() {
    ExprPtr left = parse_unary(true);
    while (is_op("**")) {
      const size_t offset = advance().offset;
      left = binary("**", std::move(left), parse_unary(true), offset);
    }
    return left;
  }

  ExprPtr parse_unary(bool with_filter) {
    const Nest nest(*this, current().offset);
    ExprPtr expr;
    if (is_op("-") || is_op("+")) {
      const Token& op = advance();
      expr = make_expr(Expr::Kind::kUnary, op.offset);
      expr->op = op.text;
      expr->children.push_back(parse_unary(false));
    } else {
      expr = parse_primary();
    }
    expr = parse_postfix(std::move(expr));
    return with_filter ? parse_filters(std::move(expr)) : std::move(expr);
  }

  ExprPtr parse_primary() {
    const Token& token = current();
    switch (token.kind) {
      case Kind::kName: {
        advance();
        auto expr = make_expr(Expr::Kind::kLiteral, token.offset);
        if (token.text == "true" || token.text == "True") {
          expr->literal = Value(true);
        } else if (token.text == "false" || token.text == "False") {
          expr->literal = Value(false);
        } else if (token.text == "none" || token.text == "None") {
          expr->literal = Value::none();
        } else {
          expr->kind = Expr::Kind::kName;
          expr->name = token.text;
        }
        return expr;
      }
      case Kind::kString: {
        auto expr = make_expr(Expr::Kind::kLiteral, token.offset);
        std::string value;
        while (current().kind == Kind::kString) value += advance().text;  // adjacent literals concatenate
        expr->literal = Value(std::move(value));
        return expr;
      }
      case Kind::kInteger:
      case Kind::kFloat: {
        advance();
        auto expr = make_expr(Expr::Kind::kLiteral, token.offset);
        expr->literal = number(token);
        return expr;
      }
      case Kind::kOperator: {
        if (token.text == "(") {
          advance();
          ExprPtr expr = parse_tuple(true, true, {});
          expect_op(")");
          return expr;
        }
        if (token.text == "[") return parse_list();
        if (token.text == "{") return parse_dict();
        break;
      }
      default: break;
    }
    fail(token, "expected an expression, found " + describe(token));
  }

  Value number(const Token& token) const {
    const std::string& text = token.text;
    if (token.kind == Kind::kFloat) {
      double value = 0;
      const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
      if (result.ec != std::errc() || !std::isfinite(value)) fail(token, "invalid number " + text);
      return Value(value);
    }
    int base = 10;
    size_t start = 0;
    if (text.size() > 1 && text[0] == '0' && std::string_view("xXoObB").find(text[1]) != std::string_view::npos) {
      base = (text[1] == 'x' || text[1] == 'X') ? 16 : (text[1] == 'o' || text[1] == 'O') ? 8 : 2;
      start = 2;
    }
    int64_t value = 0;
    const auto result = std::from_chars(text.data() + start, text.data() + text.size(), value, base);
    if (result.ec == std::errc::result_out_of_range) fail(token, "integer " + text + " is too large");
    if (result.ec != std::errc() || result.ptr != text.data() + text.size()) fail(token, "invalid number " + text);
    return Value(value);
  }

  ExprPtr parse_list() {
    auto expr = make_expr(Expr::Kind::kList, advance().offset);
    while (!is_op("]")) {
      if (!expr->children.empty()) expect_op(",");
      if (is_op("]")) break;
      expr->children.push_back(parse_expression(true));
    }
    advance();
    return expr;
  }

  ExprPtr parse_dict() {
    auto expr = make_expr(Expr::Kind::kDict, advance().offset);
    while (!is_op("}")) {
      if (!expr->children.empty()) expect_op(",");
      if (is_op("}")) break;
      expr->children.push_back(parse_expression(true));
      expect_op(":");
      expr->children.push_back(parse_expression(true));
    }
    advance();
    return expr;
  }

  ExprPtr parse_postfix(ExprPtr expr) {
    while (true) {
      if (is_op(".") || is_op("[")) {
        expr = parse_subscript(std::move(expr));
      } else if (is_op("(")) {
        expr = parse_call(std::move(expr));
      } else {
        return expr;
      }
    }
  }

  ExprPtr parse_filters(ExprPtr expr) {
    while (true) {
      if (is_op("|")) {
        expr = parse_filter(std::move(expr));
      } else if (is_name("is")) {
        expr = parse_test(std::move(expr));
      } else if (is_op("(")) {
        expr = parse_call(std::move(expr));
      } else {
        return expr;
      }
    }
  }

  ExprPtr parse_subscript(ExprPtr object) {
    const Nest nest(*this, current().offset);
    const Token& token = advance();
    if (token.text == ".") {
      const Token& attribute = current();
      if (attribute.kind == Kind::kInteger) {
        auto expr = make_expr(Expr::Kind::kItem, token.offset);
        expr->children.push_back(std::move(object));
        auto index = make_expr(Expr::Kind::kLiteral, attribute.offset);
        index->literal = number(advance());
        expr->children.push_back(std::move(index));
        return expr;
      }
      auto expr = make_expr(Expr::Kind::kAttribute, token.offset);
      expr->name = expect_name("an attribute name");
      expr->children.push_back(std::move(object));
      return expr;
    }
    // [index] or [start:stop:step]
    ExprPtr parts[3];
    size_t colons = 0;
    for (; colons <= 2; ++colons) {
      if (!is_op(":") && !is_op("]")) parts[colons] = parse_expression(true);
      if (!skip_op(":")) break;
    }
    if (colons > 2) fail(current(), "a slice has at most two ':'");
    expect_op("]");
    if (colons == 0) {
      if (!parts[0]) fail(token, "expected an index inside '[]'");
      auto expr = make_expr(Expr::Kind::kItem, token.offset);
      expr->children.push_back(std::move(object));
      expr->children.push_back(std::move(parts[0]));
      return expr;
    }
    auto expr = make_expr(Expr::Kind::kSlice, token.offset);
    expr->children.push_back(std::move(object));
    for (ExprPtr& part : parts) expr->children.push_back(std::move(part));
    return expr;
  }

  // "(" arguments ")": positional expressions, then name=expression keywords.
  void parse_arguments(Expr& call) {
    expect_op("(");
    bool first = true;
    while (!is_op(")")) {
      if (!first) expect_op(",");
      first = false;
      if (is_op(")")) break;
      if (current().kind == Kind::kName && peek().kind == Kind::kOperator && peek().text == "=") {
        std::string name = advance().text;
        advance();
        call.keywords.emplace_back(std::move(name), parse_expression(true));
      } else {
        if (!call.keywords.empty()) fail(current(), "positional argument after keyword arguments");
        call.children.push_back(parse_expression(true));
      }
    }
    advance();
  }

  ExprPtr parse_call(ExprPtr callee) {
    const Nest nest(*this, current().offset);
    auto expr = make_expr(Expr::Kind::kCall, current().offset);
    expr->children.push_back(std::move(callee));
    parse_arguments(*expr);
    return expr;
  }

  ExprPtr parse_filter(ExprPtr operand) {
    const Nest nest(*this, current().offset);
    auto expr = make_expr(Expr::Kind::kFilter, advance().offset);
    expr->name = expect_name("a filter name");
    expr->children.push_back(std::move(operand));
    if (is_op("(")) parse_arguments(*expr);
    return expr;
  }

  ExprPtr parse_test(ExprPtr operand) {
    const Nest nest(*this, current().offset);
    auto expr = make_expr(Expr::Kind::kTest, advance().offset);
    expr->negated = skip_name("not");
    expr->name = expect_name("a test name");
    expr->children.push_back(std::move(operand));
    const Token& next = current();
    if (is_op("(")) {
      parse_arguments(*expr);
    } else if ((next.kind == Kind::kName && next.text != "else" && next.text != "or" && next.text != "and" &&
                next.text != "if" && next.text != "is" && next.text != "in" && next.text != "not") ||
               next.kind == Kind::kString || next.kind == Kind::kInteger || next.kind == Kind::kFloat || is_op("[") ||
               is_op("{")) {
      expr->children.push_back(parse_postfix(parse_primary()));  // `x is divisibleby 3`
    }
    return expr;
  }

  std::string_view source_;
  const std::vector<Token>& tokens_;
  size_t max_nesting_;
  size_t pos_ = 0;
  size_t depth_ = 0;
  size_t loop_depth_ = 0;  // for loops around the statement being parsed (break and continue need one)
};

}  // namespace

Body parse(std::string_view source, const std::vector<Token>& tokens, size_t max_nesting) {
  return Parser(source, tokens, max_nesting).run();
}

}  // namespace spct::tokenizer::jinja
