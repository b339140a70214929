#include "models/tokenizer/utf8.h"

#include <cstdint>

namespace spct::tokenizer::utf8 {
namespace {

// The length of the well-formed sequence starting at text[pos], or 0 when the bytes there are ill-formed.
// Follows Table 3-7 of the Unicode standard (well-formed UTF-8 byte sequences).
size_t sequence_length(std::string_view text, size_t pos) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(text[pos + i]); };
  const size_t left = text.size() - pos;
  const uint8_t b0 = byte(0);
  if (b0 < 0x80) return 1;
  size_t length = 0;
  uint8_t lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (left < 2 || byte(1) < lo || byte(1) > hi) return 0;
  for (size_t i = 2; i < length; ++i) {
    if (i >= left || byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return length;
}

// How many bytes starting at text[pos] form the maximal prefix of some well-formed sequence (at least 1):
// they are replaced by one U+FFFD together.
size_t maximal_subpart(std::string_view text, size_t pos) {
  const auto b0 = static_cast<uint8_t>(text[pos]);
  size_t length = 0;
  uint8_t lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 1;
  }
  size_t i = 1;
  for (; i < length && pos + i < text.size(); ++i) {
    const auto b = static_cast<uint8_t>(text[pos + i]);
    const uint8_t low = i == 1 ? lo : 0x80, high = i == 1 ? hi : 0xBF;
    if (b < low || b > high) break;
  }
  return i;
}

}  // namespace

size_t char_length(std::string_view text, size_t pos) {
  const size_t length = sequence_length(text, pos);
  return length > 0 ? length : 1;
}

size_t find_invalid(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    // Runs of ASCII are the common case; skip them a byte at a time without the table logic.
    if (static_cast<uint8_t>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    const size_t length = sequence_length(text, pos);
    if (length == 0) return pos;
    pos += length;
  }
  return kValid;
}

std::string repair(std::string_view bytes) {
  size_t bad = find_invalid(bytes);
  if (bad == kValid) return std::string(bytes);
  std::string out(bytes.substr(0, bad));
  size_t pos = bad;
  while (pos < bytes.size()) {
    const size_t length = sequence_length(bytes, pos);
    if (length > 0) {
      out.append(bytes.substr(pos, length));
      pos += length;
    } else {
      append(out, U'\uFFFD');
      pos += maximal_subpart(bytes, pos);
    }
  }
  return out;
}

void append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

char32_t next(std::string_view text, size_t& pos) {
  const auto b0 = static_cast<uint8_t>(text[pos]);
  const auto cont = [&](size_t i) { return static_cast<char32_t>(static_cast<uint8_t>(text[pos + i]) & 0x3F); };
  char32_t cp;
  if (b0 < 0x80) {
    cp = b0;
    pos += 1;
  } else if (b0 < 0xE0) {
    cp = (static_cast<char32_t>(b0 & 0x1F) << 6) | cont(1);
    pos += 2;
  } else if (b0 < 0xF0) {
    cp = (static_cast<char32_t>(b0 & 0x0F) << 12) | (cont(1) << 6) | cont(2);
    pos += 3;
  } else {
    cp = (static_cast<char32_t>(b0 & 0x07) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3);
    pos += 4;
  }
  return cp;
}

}  // namespace spct::tokenizer::utf8
