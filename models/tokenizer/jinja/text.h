// Python's str methods over UTF-8 text, as chat templates call them (strip, split, startswith, ...): Python counts
// and indexes characters, not bytes, and its default whitespace is Unicode's (str.isspace), so these work on code
// points. Case mapping (upper, lower, title, capitalize) covers ASCII letters only.
//
// Text that is not valid UTF-8 is read one byte per character, so no input can make these fail.
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spct::tokenizer::jinja::text {

// The code points of `text`.
std::u32string decode(std::string_view text);
std::string encode(std::u32string_view code_points);

// The byte offset of the first byte that does not start a well-formed UTF-8 sequence, or npos.
size_t find_invalid(std::string_view text);

// Python's len(text): the number of code points.
size_t length(std::string_view text);

// Python's str.isspace() for one character.
bool is_space(char32_t c);

// str.strip / lstrip / rstrip: without `chars`, whitespace; with them, any of their characters.
std::string strip(std::string_view text, const std::optional<std::string>& chars, bool left, bool right);

// str.split / rsplit. Without `separator`: runs of whitespace separate and empty pieces are dropped. A negative
// `max_split` means no limit. REQUIRES: separator, when given, is not empty (the caller reports that).
std::vector<std::string> split(std::string_view text, const std::optional<std::string>& separator, long long max_split,
                               bool from_right);

// str.splitlines() (without keepends).
std::vector<std::string> split_lines(std::string_view text);

std::string upper(std::string_view text);
std::string lower(std::string_view text);
std::string title(std::string_view text);
std::string capitalize(std::string_view text);

// str.replace(old, new, count); count < 0 replaces all. An empty `from` inserts `to` around every character.
std::string replace(std::string_view text, std::string_view from, std::string_view to, long long count);

// str.find / str.rfind in characters; -1 when absent.
long long find(std::string_view text, std::string_view needle, bool from_right);

// str.count(needle): non-overlapping occurrences (an empty needle counts length + 1).
long long count(std::string_view text, std::string_view needle);

}  // namespace spct::tokenizer::jinja::text
