// The byte-level alphabet of GPT-2 style BPE (used by Qwen, Llama 3 and most Hugging Face BPE tokenizers):
// each of the 256 byte values is spelled as one printable Unicode character, so that a vocabulary of strings
// can hold arbitrary bytes. Printable Latin-1 bytes ('!'..'~', U+00A1..U+00AC, U+00AE..U+00FF) stand for
// themselves; the other 68 bytes take U+0100, U+0101, ... in byte order (so ' ' is 'Ġ' U+0120, '\n' is 'Ċ').
//
// Thread safety: pure functions over a constant table.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace spct::tokenizer::byte_level {

// The character that spells `byte`.
char32_t char_of(uint8_t byte);

// The byte that `c` spells, or nullopt when `c` is not in the alphabet.
std::optional<uint8_t> byte_of(char32_t c);

// The UTF-8 text that spells `bytes` (arbitrary bytes) in the alphabet.
std::string spell(std::string_view bytes);

// The bytes spelled by `text`, or nullopt when `text` is not valid UTF-8 or holds a character outside the
// alphabet (e.g. a special token such as "<|im_end|>" is fine, "é" is not).
std::optional<std::string> unspell(std::string_view text);

}  // namespace spct::tokenizer::byte_level
