#include "models/tokenizer/jinja/lexer.h"

#include <array>
#include <cctype>

#include "models/tokenizer/jinja/error.h"
#include "models/tokenizer/jinja/text.h"

namespace spct::tokenizer::jinja {
namespace {

// Longest first, so that "**" is not read as two "*".
constexpr std::array<std::string_view, 29> kOperators = {"//", "**", "==", "!=", ">=", "<=", "+", "-", "/", "*",
                                                         "%",  "~",  "[",  "]",  "(",  ")",  "{", "}", ">", "<",
                                                         "=",  ".",  ":",  "|",  ",",  ";",  "!", "?", "@"};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_name_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_';
}
bool is_name_char(char c) {
  return is_name_start(c) || is_digit(c);
}

// The byte offset after the whitespace (Python's \s) that starts at `pos`.
size_t skip_space(std::string_view source, size_t pos) {
  while (pos < source.size()) {
    const std::string rest(source.substr(pos, std::min<size_t>(4, source.size() - pos)));
    const std::u32string first = text::decode(rest);
    if (first.empty() || !text::is_space(first[0])) break;
    pos += text::encode(std::u32string_view(first.data(), 1)).size();
  }
  return pos;
}

class Lexer {
 public:
  explicit Lexer(std::string_view source) : source_(source) {}

  std::vector<Token> run() {
    while (pos_ < source_.size()) {
      const size_t tag = find_tag(pos_);
      if (tag == std::string_view::npos) {
        emit_text(source_.substr(pos_), pos_);
        pos_ = source_.size();
        break;
      }
      const char kind = source_[tag + 1];
      const char sign = tag + 2 < source_.size() ? source_[tag + 2] : '\0';
      std::string_view before = source_.substr(pos_, tag - pos_);
      if (sign == '-') {
        before = before.substr(0, text::strip(before, std::nullopt, false, true).size());
      } else if (sign != '+' && kind != '{') {
        before = lstrip_block(before);
      }
      emit_text(before, pos_);
      const size_t body = tag + 2 + ((sign == '-' || sign == '+') ? 1 : 0);
      if (kind == '#') {
        lex_comment(tag, body);
      } else if (kind == '%' && is_raw(body)) {
        lex_raw(tag, body);
      } else {
        lex_tag(tag, body, kind == '%');
      }
    }
    tokens_.push_back({Token::Kind::kEnd, "", source_.size()});
    return std::move(tokens_);
  }

 private:
  size_t find_tag(size_t from) const {
    for (size_t at = source_.find('{', from); at != std::string_view::npos; at = source_.find('{', at + 1)) {
      if (at + 1 < source_.size() && (source_[at + 1] == '{' || source_[at + 1] == '%' || source_[at + 1] == '#')) {
        return at;
      }
    }
    return std::string_view::npos;
  }

  // lstrip_blocks: spaces between the start of the line and a block tag go.
  std::string_view lstrip_block(std::string_view text) const {
    const size_t line_start = text.rfind('\n') == std::string_view::npos ? 0 : text.rfind('\n') + 1;
    if (line_start == 0 && !line_starting_) return text;
    const std::string_view tail = text.substr(line_start);
    if (tail.empty() || !text::strip(tail, std::nullopt, true, true).empty()) return text;
    return text.substr(0, line_start);
  }

  void emit_text(std::string_view text, size_t offset) {
    if (!text.empty()) tokens_.push_back({Token::Kind::kText, std::string(text), offset});
  }

  // After a tag's closing delimiter at `end` (its length `length`): whitespace control, then the position.
  void close_tag(size_t end, size_t length, char sign, bool trim_newline) {
    size_t after = end + length;
    if (sign == '-') {
      after = skip_space(source_, after);
    } else if (sign != '+' && trim_newline && after < source_.size() && source_[after] == '\n') {
      ++after;
    }
    line_starting_ = after > 0 && source_[after - 1] == '\n';
    pos_ = after;
  }

  void lex_comment(size_t tag, size_t body) {
    const size_t end = source_.find("#}", body);
    if (end == std::string_view::npos) fail_at(source_, tag, "missing end of comment tag \"#}\"");
    const char sign = end > body ? source_[end - 1] : '\0';
    close_tag(end, 2, sign == '-' || sign == '+' ? sign : '\0', true);
  }

  bool is_raw(size_t body) const {
    const size_t name = skip_space(source_, body);
    if (source_.compare(name, 3, "raw") != 0 || (name + 3 < source_.size() && is_name_char(source_[name + 3]))) {
      return false;
    }
    const size_t end = skip_space(source_, name + 3);
    return source_.compare(end, 2, "%}") == 0 || source_.compare(end, 3, "-%}") == 0;
  }

  // {% raw %}...{% endraw %}: everything between is text.
  void lex_raw(size_t tag, size_t body) {
    size_t end = skip_space(source_, skip_space(source_, body) + 3);
    const char open_sign = source_[end] == '-' ? '-' : '\0';
    close_tag(end + (open_sign ? 1 : 0), 2, open_sign, false);
    for (size_t at = source_.find("{%", pos_); at != std::string_view::npos; at = source_.find("{%", at + 2)) {
      size_t name = at + 2;
      const char sign = name < source_.size() && (source_[name] == '-' || source_[name] == '+') ? source_[name] : '\0';
      if (sign) ++name;
      name = skip_space(source_, name);
      if (source_.compare(name, 6, "endraw") != 0) continue;
      end = skip_space(source_, name + 6);
      const char close_sign =
          end < source_.size() && (source_[end] == '-' || source_[end] == '+') ? source_[end] : '\0';
      if (source_.compare(end + (close_sign ? 1 : 0), 2, "%}") != 0) continue;
      std::string_view raw = source_.substr(pos_, at - pos_);
      if (sign == '-') raw = raw.substr(0, text::strip(raw, std::nullopt, false, true).size());
      if (sign != '-' && sign != '+') raw = lstrip_block(raw);
      emit_text(raw, pos_);
      close_tag(end + (close_sign ? 1 : 0), 2, close_sign, true);
      return;
    }
    fail_at(source_, tag, "missing {% endraw %} for this {% raw %}");
  }

  void lex_tag(size_t tag, size_t body, bool block) {
    tokens_.push_back({block ? Token::Kind::kBlockBegin : Token::Kind::kVariableBegin, "", tag});
    const std::string_view closer = block ? "%}" : "}}";
    std::vector<char> brackets;
    size_t pos = body;
    while (true) {
      pos = skip_space(source_, pos);
      if (pos >= source_.size()) {
        fail_at(source_, tag, std::string("missing end of ") + (block ? "block tag \"%}\"" : "expression \"}}\""));
      }
      if (brackets.empty()) {
        const char c = source_[pos];
        const bool signed_close = (c == '-' || (block && c == '+')) && source_.compare(pos + 1, 2, closer) == 0;
        if (signed_close || source_.compare(pos, 2, closer) == 0) {
          tokens_.push_back({block ? Token::Kind::kBlockEnd : Token::Kind::kVariableEnd, "", pos});
          close_tag(pos + (signed_close ? 1 : 0), 2, signed_close ? c : '\0', block);
          return;
        }
      }
      pos = lex_one(pos, brackets);
    }
  }

  // One token at `pos` inside a tag; returns the position after it.
  size_t lex_one(size_t pos, std::vector<char>& brackets) {
    const char c = source_[pos];
    if (c == '\'' || c == '"') return lex_string(pos);
    if (is_digit(c)) return lex_number(pos);
    if (is_name_start(c)) {
      size_t end = pos;
      while (end < source_.size() && is_name_char(source_[end])) ++end;
      tokens_.push_back({Token::Kind::kName, std::string(source_.substr(pos, end - pos)), pos});
      return end;
    }
    for (const std::string_view op : kOperators) {
      if (source_.compare(pos, op.size(), op) != 0) continue;
      if (op == "!" || op == "?" || op == "@") break;  // not Jinja operators (only "!=" is)
      if (op == "(" || op == "[" || op == "{") brackets.push_back(op == "(" ? ')' : op == "[" ? ']' : '}');
      if (op == ")" || op == "]" || op == "}") {
        if (brackets.empty()) fail_at(source_, pos, "unexpected '" + std::string(op) + "'");
        if (brackets.back() != op[0]) {
          fail_at(source_, pos, "unexpected '" + std::string(op) + "', expected '" + brackets.back() + "'");
        }
        brackets.pop_back();
      }
      tokens_.push_back({Token::Kind::kOperator, std::string(op), pos});
      return pos + op.size();
    }
    const std::u32string one = text::decode(source_.substr(pos, std::min<size_t>(4, source_.size() - pos)));
    fail_at(source_, pos, "unexpected character '" + text::encode(std::u32string_view(one.data(), 1)) + "'");
  }

  size_t lex_string(size_t start) {
    const char quote = source_[start];
    std::string value;
    size_t pos = start + 1;
    while (true) {
      if (pos >= source_.size()) fail_at(source_, start, "unterminated string");
      const char c = source_[pos];
      if (c == quote) break;
      if (c != '\\' || pos + 1 >= source_.size()) {
        value += c;
        ++pos;
        continue;
      }
      pos = unescape(pos, value);
    }
    tokens_.push_back({Token::Kind::kString, std::move(value), start});
    return pos + 1;
  }

  // Python's unicode-escape decoding of the escape at `pos` (a backslash): appends it to `value` and returns the
  // position after it. Unknown escapes keep their backslash, as Python's do.
  size_t unescape(size_t pos, std::string& value) {
    const char e = source_[pos + 1];
    const auto hex = [&](size_t digits) -> size_t {
      if (pos + 2 + digits > source_.size()) fail_at(source_, pos, "truncated \\" + std::string(1, e) + " escape");
      char32_t code = 0;
      for (size_t i = 0; i < digits; ++i) {
        const char h = source_[pos + 2 + i];
        if (std::isxdigit(static_cast<unsigned char>(h)) == 0) {
          fail_at(source_, pos, "truncated \\" + std::string(1, e) + " escape");
        }
        code = code * 16 + static_cast<char32_t>(is_digit(h) ? h - '0' : (std::tolower(h) - 'a' + 10));
      }
      if (code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
        fail_at(source_, pos, "escape is not a Unicode scalar value");
      }
      value += text::encode(std::u32string_view(&code, 1));
      return pos + 2 + digits;
    };
    switch (e) {
      case 'n': value += '\n'; return pos + 2;
      case 't': value += '\t'; return pos + 2;
      case 'r': value += '\r'; return pos + 2;
      case '\\': value += '\\'; return pos + 2;
      case '\'': value += '\''; return pos + 2;
      case '"': value += '"'; return pos + 2;
      case 'a': value += '\a'; return pos + 2;
      case 'b': value += '\b'; return pos + 2;
      case 'f': value += '\f'; return pos + 2;
      case 'v': value += '\v'; return pos + 2;
      case '\n': return pos + 2;  // a backslash-newline continues the line
      case 'x': return hex(2);
      case 'u': return hex(4);
      case 'U': return hex(8);
      default: break;
    }
    if (e >= '0' && e <= '7') {
      char32_t code = 0;
      size_t end = pos + 1;
      while (end < source_.size() && end < pos + 4 && source_[end] >= '0' && source_[end] <= '7') {
        code = code * 8 + static_cast<char32_t>(source_[end++] - '0');
      }
      value += text::encode(std::u32string_view(&code, 1));
      return end;
    }
    value += '\\';
    return pos + 1;
  }

  size_t lex_number(size_t start) {
    const auto digits = [&](size_t pos) {
      while (pos < source_.size() && (is_digit(source_[pos]) || (source_[pos] == '_' && pos + 1 < source_.size() &&
                                                                 is_digit(source_[pos + 1])))) {
        ++pos;
      }
      return pos;
    };
    size_t pos = start;
    if (source_[pos] == '0' && pos + 1 < source_.size() &&
        std::string_view("xXoObB").find(source_[pos + 1]) != std::string_view::npos) {
      pos += 2;
      while (pos < source_.size() &&
             (std::isxdigit(static_cast<unsigned char>(source_[pos])) != 0 || source_[pos] == '_')) {
        ++pos;
      }
    } else {
      pos = digits(pos);
    }
    bool is_float = false;
    if (pos + 1 < source_.size() && source_[pos] == '.' && is_digit(source_[pos + 1])) {
      pos = digits(pos + 1);
      is_float = true;
    }
    if (pos < source_.size() && (source_[pos] == 'e' || source_[pos] == 'E')) {
      size_t exponent = pos + 1;
      if (exponent < source_.size() && (source_[exponent] == '+' || source_[exponent] == '-')) ++exponent;
      if (exponent < source_.size() && is_digit(source_[exponent])) {
        pos = digits(exponent);
        is_float = true;
      }
    }
    std::string literal;
    for (const char c : source_.substr(start, pos - start)) {
      if (c != '_') literal += c;
    }
    tokens_.push_back({is_float ? Token::Kind::kFloat : Token::Kind::kInteger, std::move(literal), start});
    return pos;
  }

  std::string_view source_;
  size_t pos_ = 0;
  bool line_starting_ = true;
  std::vector<Token> tokens_;
};

}  // namespace

std::string normalize_newlines(std::string_view source) {
  std::string out;
  out.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      out += '\n';
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      out += source[i];
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::vector<Token> tokenize(std::string_view source) {
  return Lexer(source).run();
}

}  // namespace spct::tokenizer::jinja
