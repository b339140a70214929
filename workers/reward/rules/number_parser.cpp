#include "workers/reward/rules/number_parser.h"

#include <cctype>
#include <charconv>
#include <string>

namespace spct::reward {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

std::string_view trim(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

bool consume(std::string_view& s, std::string_view prefix) {
  if (s.substr(0, prefix.size()) != prefix) return false;
  s.remove_prefix(prefix.size());
  return true;
}

// An unsigned decimal with optional thousands separators, fraction and exponent: the whole of `s`.
std::optional<double> parse_unsigned_decimal(std::string_view s) {
  std::string digits;  // `s` without separators, for from_chars
  digits.reserve(s.size());
  size_t i = 0;
  size_t group = 0;  // digits since the last separator (or the start)
  bool grouped = false;
  for (; i < s.size() && (is_digit(s[i]) || s[i] == ','); ++i) {
    if (s[i] == ',') {
      // The first group has 1-3 digits, every later one exactly 3.
      if (group == 0 || group > 3 || (grouped && group != 3)) return std::nullopt;
      grouped = true;
      group = 0;
      continue;
    }
    digits.push_back(s[i]);
    ++group;
  }
  if (grouped && group != 3) return std::nullopt;
  const bool has_integer_digits = !digits.empty();
  bool has_fraction_digits = false;
  if (i < s.size() && s[i] == '.') {
    digits.push_back('.');
    for (++i; i < s.size() && is_digit(s[i]); ++i) {
      digits.push_back(s[i]);
      has_fraction_digits = true;
    }
  }
  if (!has_integer_digits && !has_fraction_digits) return std::nullopt;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    digits.push_back('e');
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) digits.push_back(s[i++]);
    const size_t exponent_start = i;
    for (; i < s.size() && is_digit(s[i]); ++i) digits.push_back(s[i]);
    if (i == exponent_start) return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  double value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  // Out-of-range values (1e999) are not answers anyone means; treat them as unreadable.
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

// "\frac{a}{b}" (after the command name): a and b are unsigned decimals.
std::optional<double> parse_latex_fraction(std::string_view s) {
  if (!consume(s, "{")) return std::nullopt;
  const size_t close = s.find('}');
  if (close == std::string_view::npos) return std::nullopt;
  const auto numerator = parse_unsigned_decimal(trim(s.substr(0, close)));
  s.remove_prefix(close + 1);
  if (!consume(s, "{") || s.empty() || s.back() != '}') return std::nullopt;
  const auto denominator = parse_unsigned_decimal(trim(s.substr(0, s.size() - 1)));
  if (!numerator || !denominator || *denominator == 0) return std::nullopt;
  return *numerator / *denominator;
}

std::optional<double> parse_unsigned(std::string_view s) {
  for (const std::string_view command : {"\\frac", "\\dfrac", "\\tfrac"}) {
    if (consume(s, command)) return parse_latex_fraction(s);
  }
  const size_t slash = s.find('/');
  if (slash == std::string_view::npos) return parse_unsigned_decimal(s);
  const auto numerator = parse_unsigned_decimal(trim(s.substr(0, slash)));
  const auto denominator = parse_unsigned_decimal(trim(s.substr(slash + 1)));
  if (!numerator || !denominator || *denominator == 0) return std::nullopt;
  return *numerator / *denominator;
}

bool number_char(char c) {
  return is_digit(c) || c == '.' || c == ',' || c == '/';
}

}  // namespace

std::optional<double> parse_number(std::string_view text) {
  std::string_view s = trim(text);
  bool negative = false;
  if (consume(s, "-")) {
    negative = true;
  } else {
    consume(s, "+");
  }
  if (!consume(s, "\\$")) consume(s, "$");
  const auto value = parse_unsigned(trim(s));
  if (!value) return std::nullopt;
  return negative ? -*value : *value;
}

std::optional<double> find_last_number(std::string_view text) {
  size_t end = text.size();
  while (end > 0 && !is_digit(text[end - 1])) --end;
  if (end == 0) return std::nullopt;
  // Take in an exponent that follows the last mantissa digit ("1e" is not one; "1e3" ends in a digit already).
  size_t start = end;
  while (start > 0 && (number_char(text[start - 1]) || text[start - 1] == 'e' || text[start - 1] == 'E' ||
                       ((text[start - 1] == '-' || text[start - 1] == '+') && start >= 2 &&
                        (text[start - 2] == 'e' || text[start - 2] == 'E')))) {
    --start;
  }
  // Leading separators belong to the sentence, not the number (", 42" or "./3").
  while (start < end && !is_digit(text[start]) && text[start] != '.') ++start;
  // A minus sign counts when it starts a word ("is -3"), not when it joins two numbers ("3-4").
  if (start > 0 && text[start - 1] == '-' &&
      (start == 1 || !std::isalnum(static_cast<unsigned char>(text[start - 2])))) {
    --start;
  }
  std::string_view span = text.substr(start, end - start);
  // A span that is no single number ("1,2,3" or "1.2.3") falls back to ever shorter tails ("3", "2.3").
  while (!span.empty()) {
    if (const auto value = parse_number(span)) return value;
    const size_t cut = span.find_first_of(",./eE");
    if (cut == std::string_view::npos) return std::nullopt;
    span.remove_prefix(cut + 1);
  }
  return std::nullopt;
}

}  // namespace spct::reward
