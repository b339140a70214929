#include "workers/reward/rules/math_answer.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <optional>
#include <vector>

#include "workers/reward/rules/number_parser.h"

namespace spct::reward {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_letter(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) != 0;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return std::string(s);
}

// The index of the '}' closing the '{' at `open`, or npos when it is never closed.
size_t closing_brace(std::string_view s, size_t open) {
  int depth = 0;
  for (size_t i = open; i < s.size(); ++i) {
    if (s[i] == '{') {
      ++depth;
    } else if (s[i] == '}' && --depth == 0) {
      return i;
    }
  }
  return std::string_view::npos;
}

// Occurrences of the command `name` ("\left") that are the whole command word: not followed by a letter, so
// "\right" does not match inside "\rightarrow".
void remove_command(std::string& s, std::string_view name) {
  for (size_t at = s.find(name); at != std::string::npos; at = s.find(name, at)) {
    const size_t end = at + name.size();
    if (end < s.size() && is_letter(s[end])) {
      at = end;
      continue;
    }
    s.erase(at, name.size());
  }
}

void remove_all(std::string& s, std::string_view text) {
  for (size_t at = s.find(text); at != std::string::npos; at = s.find(text, at)) s.erase(at, text.size());
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
}

// The contents of the last complete \boxed{...} or \fbox{...}; a truncated last box falls back to an earlier one.
std::optional<std::string> last_box(std::string_view s) {
  std::optional<std::pair<size_t, std::string>> best;
  for (const std::string_view command : {std::string_view("\\boxed{"), std::string_view("\\fbox{")}) {
    for (size_t from = s.size(); from > 0;) {
      const size_t start = s.rfind(command, from - 1);
      if (start == std::string_view::npos) break;
      const size_t open = start + command.size() - 1;
      const size_t close = closing_brace(s, open);
      if (close != std::string_view::npos) {
        if (!best || start > best->first) best.emplace(start, std::string(s.substr(open + 1, close - open - 1)));
        break;
      }
      from = start;
    }
  }
  if (!best) return std::nullopt;
  return best->second;
}

bool letters_and_spaces(std::string_view s) {
  return std::any_of(s.begin(), s.end(), is_letter) &&
         std::all_of(s.begin(), s.end(), [](char c) { return is_letter(c) || is_space(c); });
}

// \text{...} and its kin unwrapped; a unit word in one that ends an answer after a number is dropped.
void unwrap_text(std::string& s) {
  for (const std::string_view command :
       {"\\text{", "\\textbf{", "\\textrm{", "\\textit{", "\\mathrm{", "\\mathbf{", "\\mbox{", "\\operatorname{"}) {
    for (size_t at = s.find(command); at != std::string::npos; at = s.find(command, at)) {
      const size_t open = at + command.size() - 1;
      const size_t close = closing_brace(s, open);
      if (close == std::string::npos) break;
      const std::string inner = s.substr(open + 1, close - open - 1);
      const bool last = trim(std::string_view(s).substr(close + 1)).empty();
      const std::string before = trim(std::string_view(s).substr(0, at));
      if (last && letters_and_spaces(inner) && parse_number(before)) {
        s.erase(at);
        break;
      }
      s.replace(at, close + 1 - at, inner);
    }
  }
}

// "\frac12" -> "\frac{1}{2}", "\sqrt2" -> "\sqrt{2}": every argument of `command` braced. Runs on text without
// whitespace; an unbraced argument is one character.
void brace_arguments(std::string& s, std::string_view command, int count) {
  for (size_t at = s.find(command); at != std::string::npos; at = s.find(command, at + 1)) {
    size_t i = at + command.size();
    if (i < s.size() && is_letter(s[i])) continue;  // a longer command name
    for (int argument = 0; argument < count && i < s.size(); ++argument) {
      if (s[i] == '{') {
        const size_t close = closing_brace(s, i);
        if (close == std::string::npos) return;
        i = close + 1;
      } else {
        s.insert(i + 1, "}");
        s.insert(i, "{");
        i += 3;
      }
    }
  }
}

// "1,000" -> "1000": a comma between a digit and exactly three digits that end the number.
void remove_thousands_separators(std::string& s) {
  for (size_t i = 1; i + 3 < s.size(); ++i) {
    if (s[i] != ',' || !is_digit(s[i - 1])) continue;
    const bool three = is_digit(s[i + 1]) && is_digit(s[i + 2]) && is_digit(s[i + 3]);
    const bool ends = i + 4 == s.size() || !is_digit(s[i + 4]);
    if (three && ends) s.erase(i, 1);
  }
}

// A fraction part that needs no parentheses: nothing binds looser than the slash outside braces ("2", "x",
// "-1", "\sqrt{3}", "2^{3}"), so A/B reads back as the same fraction.
bool simple_operand(std::string_view s) {
  if (!s.empty() && s.front() == '-') s.remove_prefix(1);
  if (s.empty() || s.find("\\cdot") != std::string_view::npos || s.find("\\times") != std::string_view::npos) {
    return false;
  }
  int depth = 0;
  for (const char c : s) {
    if (c == '{' || c == '(') ++depth;
    if (c == '}' || c == ')') --depth;
    if (depth == 0 && (c == '+' || c == '-' || c == '*' || c == '/' || c == ',' || c == '=')) return false;
  }
  return true;
}

// \frac{A}{B} -> A/B, innermost (last) first so nested fractions resolve.
void fractions_to_slashes(std::string& s) {
  for (size_t at = s.rfind("\\frac{"); at != std::string::npos; at = s.rfind("\\frac{")) {
    const size_t open_a = at + 5;
    const size_t close_a = closing_brace(s, open_a);
    if (close_a == std::string::npos || close_a + 1 >= s.size() || s[close_a + 1] != '{') return;
    const size_t close_b = closing_brace(s, close_a + 1);
    if (close_b == std::string::npos) return;
    const std::string a = s.substr(open_a + 1, close_a - open_a - 1);
    const std::string b = s.substr(close_a + 2, close_b - close_a - 2);
    const auto operand = [](const std::string& x) { return simple_operand(x) ? x : "(" + x + ")"; };
    s.replace(at, close_b + 1 - at, operand(a) + "/" + operand(b));
  }
}

// "x=3" -> "3": an answer stated as an assignment to a one- or two-letter variable.
void drop_assignment(std::string& s) {
  const size_t eq = s.find('=');
  if (eq == std::string::npos || eq == 0 || eq > 2 || s.find('=', eq + 1) != std::string::npos) return;
  if (std::all_of(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(eq), is_letter)) s.erase(0, eq + 1);
}

bool numbers_equal(double a, double b, const MathTolerance& tolerance) {
  const double allowed = std::max(tolerance.absolute, tolerance.relative * std::max(std::fabs(a), std::fabs(b)));
  return std::fabs(a - b) <= allowed;
}

// The elements of a tuple or interval "(a,b)", "[a,b)", "a,b", split at top-level commas, with its brackets.
struct Tuple {
  char open = 0;
  char close = 0;
  std::vector<std::string> elements;
};

Tuple split_tuple(const std::string& s) {
  Tuple tuple;
  std::string_view body = s;
  if (body.size() >= 2 && (body.front() == '(' || body.front() == '[') && (body.back() == ')' || body.back() == ']')) {
    tuple.open = body.front();
    tuple.close = body.back();
    body = body.substr(1, body.size() - 2);
  }
  int depth = 0;
  std::string element;
  for (const char c : body) {
    if (c == '(' || c == '[' || c == '{') ++depth;
    if (c == ')' || c == ']' || c == '}') --depth;
    if (c == ',' && depth == 0) {
      tuple.elements.push_back(element);
      element.clear();
    } else {
      element.push_back(c);
    }
  }
  tuple.elements.push_back(element);
  return tuple;
}

bool canonical_equal(const std::string& a, const std::string& b, const MathTolerance& tolerance) {
  if (a.empty() || b.empty()) return false;
  if (a == b) return true;
  const auto x = parse_number(a);
  const auto y = parse_number(b);
  if (x && y) return numbers_equal(*x, *y, tolerance);
  const Tuple p = split_tuple(a);
  const Tuple q = split_tuple(b);
  if (p.elements.size() < 2 || p.elements.size() != q.elements.size() || p.open != q.open || p.close != q.close) {
    return false;
  }
  for (size_t i = 0; i < p.elements.size(); ++i) {
    if (!canonical_equal(p.elements[i], q.elements[i], tolerance)) return false;
  }
  return true;
}

}  // namespace

std::string normalize_math_answer(std::string_view answer) {
  std::string s = last_box(answer).value_or(std::string(answer));
  for (const std::string_view delimiter : {"\\(", "\\)", "\\[", "\\]"}) remove_all(s, delimiter);
  remove_command(s, "\\left");
  remove_command(s, "\\right");
  remove_command(s, "\\qquad");
  remove_command(s, "\\quad");
  for (const std::string_view spacing : {"\\,", "\\;", "\\:", "\\!", "\\ ", "~"}) remove_all(s, spacing);
  for (const std::string_view mark : {"^{\\circ}", "^\\circ", "\\%", "%", "\\$", "$"}) remove_all(s, mark);
  unwrap_text(s);
  s.erase(std::remove_if(s.begin(), s.end(), is_space), s.end());
  drop_assignment(s);
  replace_all(s, "\\dfrac", "\\frac");
  replace_all(s, "\\tfrac", "\\frac");
  brace_arguments(s, "\\frac", 2);
  brace_arguments(s, "\\sqrt", 1);
  remove_thousands_separators(s);
  if (!s.empty() && s.back() == '.') s.pop_back();
  fractions_to_slashes(s);
  return s;
}

bool math_answers_equal(std::string_view a, std::string_view b, const MathTolerance& tolerance) {
  return canonical_equal(normalize_math_answer(a), normalize_math_answer(b), tolerance);
}

}  // namespace spct::reward
