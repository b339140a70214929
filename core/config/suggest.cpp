#include "core/config/suggest.h"

#include <algorithm>

#include "core/config/schema.h"

namespace spct::config {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

std::string closest_word(const std::string& word, const std::vector<std::string>& candidates) {
  const std::size_t budget = std::max<std::size_t>(2, word.size() / 3);
  std::string best;
  std::size_t best_distance = budget + 1;
  for (const std::string& candidate : candidates) {
    const std::size_t distance = edit_distance(word, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

std::string suggest_key(const std::string& unknown) {
  std::vector<std::string> keys;
  keys.reserve(schema().size());
  for (const FieldSpec& field : schema()) keys.push_back(field.key);
  std::string hint = closest_word(unknown, keys);
  if (!hint.empty()) return hint;
  // The right name in the wrong section ("model.group_size" -> "rollout.group_size"), or a close name anywhere.
  const std::string leaf = unknown.substr(unknown.rfind('.') + 1);
  std::vector<std::string> leaves;
  leaves.reserve(keys.size());
  for (const std::string& key : keys) leaves.push_back(key.substr(key.find('.') + 1));
  const std::string close_leaf = closest_word(leaf, leaves);
  if (close_leaf.empty()) return "";
  for (const std::string& key : keys) {
    if (key.substr(key.find('.') + 1) == close_leaf) return key;
  }
  return "";
}

}  // namespace spct::config
