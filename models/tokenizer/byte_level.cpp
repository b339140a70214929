#include "models/tokenizer/byte_level.h"

#include <array>

#include "models/tokenizer/utf8.h"

namespace spct::tokenizer::byte_level {
namespace {

struct Alphabet {
  std::array<char32_t, 256> char_of_byte{};
  // The alphabet's characters all lie below U+0144; index by code point.
  static constexpr char32_t kLimit = 0x144;
  std::array<int16_t, kLimit> byte_of_char{};

  Alphabet() {
    byte_of_char.fill(-1);
    const auto stands_for_itself = [](int b) {
      return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    };
    char32_t next_shifted = 0x100;
    for (int b = 0; b < 256; ++b) {
      const char32_t c = stands_for_itself(b) ? static_cast<char32_t>(b) : next_shifted++;
      char_of_byte[static_cast<size_t>(b)] = c;
      byte_of_char[c] = static_cast<int16_t>(b);
    }
  }
};

const Alphabet& alphabet() {
  static const Alphabet table;
  return table;
}

}  // namespace

char32_t char_of(uint8_t byte) {
  return alphabet().char_of_byte[byte];
}

std::optional<uint8_t> byte_of(char32_t c) {
  if (c >= Alphabet::kLimit) return std::nullopt;
  const int16_t b = alphabet().byte_of_char[c];
  if (b < 0) return std::nullopt;
  return static_cast<uint8_t>(b);
}

std::string spell(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char b : bytes) utf8::append(out, char_of(static_cast<uint8_t>(b)));
  return out;
}

std::optional<std::string> unspell(std::string_view text) {
  if (utf8::find_invalid(text) != utf8::kValid) return std::nullopt;
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    const auto b = byte_of(utf8::next(text, pos));
    if (!b) return std::nullopt;
    out += static_cast<char>(*b);
  }
  return out;
}

}  // namespace spct::tokenizer::byte_level
