// "Did you mean" hints for misspelt config keys and enumeration values.
#pragma once

#include <string>
#include <vector>

namespace spct::config {

// Optimal-string-alignment edit distance (insertions, deletions, substitutions, adjacent transpositions).
std::size_t edit_distance(const std::string& a, const std::string& b);

// The candidate closest to `word`, or "" when none is within a third of the word's length (at least 2 edits).
std::string closest_word(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace spct::config
