#include "models/tokenizer/jinja/text.h"

#include <algorithm>

namespace spct::tokenizer::jinja::text {
namespace {

// The length of the well-formed UTF-8 sequence starting at text[pos], or 0 when it is ill-formed.
size_t sequence_length(std::string_view text, size_t pos) {
  const auto b0 = static_cast<unsigned char>(text[pos]);
  size_t length = 0;
  if (b0 < 0x80) return 1;
  if (b0 >= 0xC2 && b0 <= 0xDF) length = 2;
  if (b0 >= 0xE0 && b0 <= 0xEF) length = 3;
  if (b0 >= 0xF0 && b0 <= 0xF4) length = 4;
  if (length == 0 || pos + length > text.size()) return 0;
  for (size_t i = 1; i < length; ++i) {
    if ((static_cast<unsigned char>(text[pos + i]) & 0xC0) != 0x80) return 0;
  }
  const auto b1 = static_cast<unsigned char>(text[pos + 1]);
  if ((b0 == 0xE0 && b1 < 0xA0) || (b0 == 0xED && b1 > 0x9F) || (b0 == 0xF0 && b1 < 0x90) ||
      (b0 == 0xF4 && b1 > 0x8F)) {
    return 0;  // overlong, surrogate or above U+10FFFF
  }
  return length;
}

char32_t ascii_upper(char32_t c) {
  return c >= 'a' && c <= 'z' ? c - 32 : c;
}
char32_t ascii_lower(char32_t c) {
  return c >= 'A' && c <= 'Z' ? c + 32 : c;
}
bool ascii_alpha(char32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool in(char32_t c, std::u32string_view set) {
  return set.find(c) != std::u32string_view::npos;
}

}  // namespace

std::u32string decode(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t length = sequence_length(text, pos);
    const auto b0 = static_cast<unsigned char>(text[pos]);
    if (length == 0) {
      out.push_back(b0);  // an ill-formed byte stands for itself (see the header)
      ++pos;
      continue;
    }
    char32_t c = length == 1 ? b0 : (b0 & (0xFF >> (length + 1)));
    for (size_t i = 1; i < length; ++i) c = (c << 6) | (static_cast<unsigned char>(text[pos + i]) & 0x3F);
    out.push_back(c);
    pos += length;
  }
  return out;
}

std::string encode(std::u32string_view code_points) {
  std::string out;
  out.reserve(code_points.size());
  for (const char32_t c : code_points) {
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (c < 0x800) {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      out += static_cast<char>(0xE0 | (c >> 12));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (c >> 18));
      out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return out;
}

size_t find_invalid(std::string_view text) {
  for (size_t pos = 0; pos < text.size();) {
    const size_t length = sequence_length(text, pos);
    if (length == 0) return pos;
    pos += length;
  }
  return std::string_view::npos;
}

size_t length(std::string_view text) {
  size_t count = 0;
  for (size_t pos = 0; pos < text.size(); ++count) pos += std::max<size_t>(1, sequence_length(text, pos));
  return count;
}

bool is_space(char32_t c) {
  // The characters for which CPython's str.isspace() is true.
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

std::string strip(std::string_view text, const std::optional<std::string>& chars, bool left, bool right) {
  const std::u32string cps = decode(text);
  const std::u32string set = chars ? decode(*chars) : std::u32string();
  const auto strips = [&](char32_t c) { return chars ? in(c, set) : is_space(c); };
  size_t begin = 0, end = cps.size();
  if (left) {
    while (begin < end && strips(cps[begin])) ++begin;
  }
  if (right) {
    while (end > begin && strips(cps[end - 1])) --end;
  }
  return encode(std::u32string_view(cps).substr(begin, end - begin));
}

std::vector<std::string> split(std::string_view text, const std::optional<std::string>& separator, long long max_split,
                               bool from_right) {
  std::vector<std::string> pieces;
  if (separator) {
    long long splits = 0;
    if (!from_right) {
      size_t start = 0;
      for (size_t at; (max_split < 0 || splits < max_split) && (at = text.find(*separator, start)) != text.npos;
           ++splits) {
        pieces.emplace_back(text.substr(start, at - start));
        start = at + separator->size();
      }
      pieces.emplace_back(text.substr(start));
      return pieces;
    }
    size_t end = text.size();
    while ((max_split < 0 || splits < max_split) && end >= separator->size()) {
      const size_t at = text.rfind(*separator, end - separator->size());
      if (at == text.npos) break;
      pieces.emplace_back(text.substr(at + separator->size(), end - at - separator->size()));
      end = at;
      ++splits;
    }
    pieces.emplace_back(text.substr(0, end));
    std::reverse(pieces.begin(), pieces.end());
    return pieces;
  }
  // Whitespace runs separate; once max_split pieces are split off, the rest (stripped on the near side) is one.
  std::u32string cps = decode(text);
  if (from_right) std::reverse(cps.begin(), cps.end());
  size_t pos = 0;
  long long splits = 0;
  while (true) {
    while (pos < cps.size() && is_space(cps[pos])) ++pos;
    if (pos == cps.size()) break;
    if (max_split >= 0 && splits == max_split) {
      size_t end = cps.size();
      while (end > pos && is_space(cps[end - 1])) --end;
      pieces.push_back(encode(std::u32string_view(cps).substr(pos, end - pos)));
      break;
    }
    const size_t start = pos;
    while (pos < cps.size() && !is_space(cps[pos])) ++pos;
    pieces.push_back(encode(std::u32string_view(cps).substr(start, pos - start)));
    ++splits;
  }
  if (from_right) {
    for (std::string& piece : pieces) {
      std::u32string piece_cps = decode(piece);
      std::reverse(piece_cps.begin(), piece_cps.end());
      piece = encode(piece_cps);
    }
    std::reverse(pieces.begin(), pieces.end());
  }
  return pieces;
}

std::vector<std::string> split_lines(std::string_view text) {
  // Python's line boundaries: \n \r \r\n \v \f \x1c \x1d \x1e \x85 \u2028 \u2029.
  constexpr std::u32string_view kBreaks = U"\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029";
  const std::u32string cps = decode(text);
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t i = 0; i < cps.size(); ++i) {
    if (!in(cps[i], kBreaks)) continue;
    lines.push_back(encode(std::u32string_view(cps).substr(start, i - start)));
    if (cps[i] == '\r' && i + 1 < cps.size() && cps[i + 1] == '\n') ++i;
    start = i + 1;
  }
  if (start < cps.size()) lines.push_back(encode(std::u32string_view(cps).substr(start)));
  return lines;
}

std::string upper(std::string_view text) {
  std::u32string cps = decode(text);
  std::transform(cps.begin(), cps.end(), cps.begin(), ascii_upper);
  return encode(cps);
}

std::string lower(std::string_view text) {
  std::u32string cps = decode(text);
  std::transform(cps.begin(), cps.end(), cps.begin(), ascii_lower);
  return encode(cps);
}

std::string title(std::string_view text) {
  std::u32string cps = decode(text);
  bool previous_cased = false;
  for (char32_t& c : cps) {
    c = previous_cased ? ascii_lower(c) : ascii_upper(c);
    previous_cased = ascii_alpha(c);
  }
  return encode(cps);
}

std::string capitalize(std::string_view text) {
  std::u32string cps = decode(text);
  for (size_t i = 0; i < cps.size(); ++i) cps[i] = i == 0 ? ascii_upper(cps[i]) : ascii_lower(cps[i]);
  return encode(cps);
}

std::string replace(std::string_view text, std::string_view from, std::string_view to, long long count) {
  std::string out;
  long long done = 0;
  if (from.empty()) {
    const std::u32string cps = decode(text);
    for (const char32_t c : cps) {
      if (count < 0 || done < count) {
        out += to;
        ++done;
      }
      out += encode(std::u32string_view(&c, 1));
    }
    if (count < 0 || done < count) out += to;
    return out;
  }
  size_t start = 0;
  for (size_t at; (count < 0 || done < count) && (at = text.find(from, start)) != text.npos; ++done) {
    out.append(text.substr(start, at - start)).append(to);
    start = at + from.size();
  }
  out.append(text.substr(start));
  return out;
}

long long find(std::string_view text, std::string_view needle, bool from_right) {
  const size_t at = from_right ? text.rfind(needle) : text.find(needle);
  if (at == text.npos) return -1;
  return static_cast<long long>(length(text.substr(0, at)));
}

long long count(std::string_view text, std::string_view needle) {
  if (needle.empty()) return static_cast<long long>(length(text)) + 1;
  long long found = 0;
  for (size_t at = text.find(needle); at != text.npos; at = text.find(needle, at + needle.size())) ++found;
  return found;
}

}  // namespace spct::tokenizer::jinja::text
