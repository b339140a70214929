// UTF-8 helpers for the tokenizers: validation with the offset of the first bad byte, code point iteration and
// the lossy repair Hugging Face applies when decoded bytes do not form characters.
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace spct::tokenizer::utf8 {

inline constexpr size_t kValid = std::string_view::npos;

// The byte offset of the first byte that does not start a well-formed UTF-8 sequence (overlong forms,
// surrogates and code points above U+10FFFF are ill-formed), or kValid when the whole text is well formed.
size_t find_invalid(std::string_view text);

// `bytes` with each maximal ill-formed subsequence replaced by U+FFFD (the Unicode "substitution of maximal
// subparts" practice, as Rust's String::from_utf8_lossy and the WHATWG decoder do). Valid input is returned
// unchanged.
std::string repair(std::string_view bytes);

// The bytes of the character starting at text[pos]: its well-formed sequence, or 1 for a byte that starts none
// (it stands alone, as repair() would replace it). For walking possibly broken text a character at a time, e.g.
// to cut it without splitting a character. REQUIRES: pos < text.size().
size_t char_length(std::string_view text, size_t pos);

// Appends the UTF-8 form of `code_point`. REQUIRES: code_point <= 0x10FFFF and not a surrogate.
void append(std::string& out, char32_t code_point);

// Decodes the code point starting at text[pos] and advances pos past it.
// REQUIRES: text is valid UTF-8 (find_invalid returned kValid) and pos < text.size() starts a character.
char32_t next(std::string_view text, size_t& pos);

}  // namespace spct::tokenizer::utf8
