#include "models/tokenizer/char_tokenizer.h"

#include <array>
#include <string>

#include "core/error.h"

namespace spct::tokenizer {
namespace {

// The spellings of ids 0..2, in id order.
constexpr std::array<std::string_view, 3> kSpecialNames = {"<pad>", "<bos>", "<eos>"};

std::optional<int32_t> char_id(unsigned char c) {
  if (c == '\n') return CharTokenizer::kNewline;
  if (c >= 32 && c <= 126) return CharTokenizer::kFirstPrintable + (c - 32);
  return std::nullopt;
}

std::string describe_byte(unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex = "0x";
  hex += kHex[c >> 4];
  hex += kHex[c & 15];
  return hex;
}

}  // namespace

std::vector<int32_t> CharTokenizer::encode(std::string_view text, bool add_special) const {
  std::vector<int32_t> ids;
  ids.reserve(text.size() + (add_special ? 1 : 0));
  if (add_special) ids.push_back(kBos);
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '<') {
      bool matched = false;
      for (size_t s = 0; s < kSpecialNames.size(); ++s) {
        if (text.substr(i).starts_with(kSpecialNames[s])) {
          ids.push_back(static_cast<int32_t>(s));
          i += kSpecialNames[s].size();
          matched = true;
          break;
        }
      }
      if (matched) continue;
    }
    const auto c = static_cast<unsigned char>(text[i]);
    const auto id = char_id(c);
    if (!id) {
      throw InputError("character tokenizer: byte " + describe_byte(c) + " at offset " + std::to_string(i) +
                       " is not in its vocabulary ('\\n' and printable ASCII 32..126)");
    }
    ids.push_back(*id);
    ++i;
  }
  return ids;
}

std::string CharTokenizer::decode(std::span<const int32_t> ids, bool skip_special) const {
  std::string text;
  text.reserve(ids.size());
  for (const int32_t id : ids) {
    if (id < 0) throw InputError("character tokenizer: cannot decode negative id " + std::to_string(id));
    if (id >= kVocabSize) continue;  // no token has it (tokenizer.h)
    if (is_special(id)) {
      if (!skip_special) text += kSpecialNames[static_cast<size_t>(id)];
    } else if (id == kNewline) {
      text += '\n';
    } else {
      text += static_cast<char>(32 + (id - kFirstPrintable));
    }
  }
  return text;
}

std::optional<int32_t> CharTokenizer::token_to_id(std::string_view token) const {
  for (size_t s = 0; s < kSpecialNames.size(); ++s) {
    if (token == kSpecialNames[s]) return static_cast<int32_t>(s);
  }
  if (token.size() != 1) return std::nullopt;
  return char_id(static_cast<unsigned char>(token[0]));
}

std::string CharTokenizer::id_to_token(int32_t id) const {
  const int32_t one[] = {id};
  return decode(one, false);
}

}  // namespace spct::tokenizer
