#include "models/tokenizer/added_vocabulary.h"

#include <algorithm>

namespace spct::tokenizer {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool is_word_byte(char c) {
  const auto b = static_cast<unsigned char>(c);
  return b >= 0x80 || (b >= '0' && b <= '9') || (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || b == '_';
}

}  // namespace

AddedVocabulary::AddedVocabulary(std::vector<AddedToken> tokens) : tokens_(std::move(tokens)), nodes_(1) {
  for (size_t t = 0; t < tokens_.size(); ++t) {
    const std::string& content = tokens_[t].content;
    if (content.empty()) continue;
    starts_[static_cast<uint8_t>(content[0])] = true;
    int32_t node = 0;
    for (const char c : content) {
      const auto byte = static_cast<uint8_t>(c);
      int32_t next = child(node, byte);
      if (next < 0) {
        next = static_cast<int32_t>(nodes_.size());
        auto& children = nodes_[static_cast<size_t>(node)].children;
        children.insert(std::lower_bound(children.begin(), children.end(), std::make_pair(byte, int32_t{-1})),
                        {byte, next});
        nodes_.emplace_back();
      }
      node = next;
    }
    // Two entries with one content: the first listed wins, as in the file's own order.
    if (nodes_[static_cast<size_t>(node)].token < 0) nodes_[static_cast<size_t>(node)].token = static_cast<int32_t>(t);
  }
}

int32_t AddedVocabulary::child(int32_t node, uint8_t byte) const {
  const auto& children = nodes_[static_cast<size_t>(node)].children;
  const auto it = std::lower_bound(children.begin(), children.end(), std::make_pair(byte, int32_t{-1}));
  return it != children.end() && it->first == byte ? it->second : -1;
}

std::pair<int32_t, size_t> AddedVocabulary::longest_match(std::string_view text, size_t begin) const {
  int32_t node = 0;
  std::pair<int32_t, size_t> best{-1, begin};
  for (size_t i = begin; i < text.size(); ++i) {
    node = child(node, static_cast<uint8_t>(text[i]));
    if (node < 0) break;
    const int32_t token = nodes_[static_cast<size_t>(node)].token;
    if (token < 0) continue;
    if (tokens_[static_cast<size_t>(token)].single_word) {
      const bool glued_before = begin > 0 && is_word_byte(text[begin - 1]);
      const bool glued_after = i + 1 < text.size() && is_word_byte(text[i + 1]);
      if (glued_before || glued_after) continue;
    }
    best = {token, i + 1};
  }
  return best;
}

void AddedVocabulary::split(std::string_view text, std::vector<Segment>& out) const {
  size_t plain_begin = 0;  // start of the plain text not yet emitted
  size_t pos = 0;
  while (pos < text.size()) {
    if (!starts_[static_cast<uint8_t>(text[pos])]) {
      ++pos;
      continue;
    }
    const auto [token, end] = longest_match(text, pos);
    if (token < 0) {
      ++pos;
      continue;
    }
    const AddedToken& added = tokens_[static_cast<size_t>(token)];
    size_t plain_end = pos;
    if (added.lstrip) {
      while (plain_end > plain_begin && is_space(text[plain_end - 1])) --plain_end;
    }
    if (plain_end > plain_begin) out.push_back({text.substr(plain_begin, plain_end - plain_begin), -1});
    out.push_back({text.substr(pos, end - pos), added.id});
    pos = end;
    if (added.rstrip) {
      while (pos < text.size() && is_space(text[pos])) ++pos;
    }
    plain_begin = pos;
  }
  if (plain_begin < text.size()) out.push_back({text.substr(plain_begin), -1});
}

}  // namespace spct::tokenizer
