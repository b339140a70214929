// AddedVocabulary: a set of "added_tokens" of a Hugging Face tokenizer.json (special tokens such as
// "<|im_end|>" and normal added tokens such as "<think>"), found in a text before pre-tokenization so that
// BPE never splits them: at each position the longest added token that starts there wins, and the leftmost
// match is taken first. The tokenizer keeps two sets, as Hugging Face does: tokens with "normalized": false
// are cut out of the raw text, those with "normalized": true out of each normalized piece in between.
//
// Per-token options: lstrip/rstrip make the token swallow the whitespace before/after it; single_word only
// matches a token that is not glued to a letter or digit on either side (ASCII letters and digits, and any
// non-ASCII character, count as word characters here).
//
// Thread safety: immutable after construction; split() may be called concurrently.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace spct::tokenizer {

struct AddedToken {
  int32_t id = 0;
  std::string content;
  bool special = false;
  bool lstrip = false;
  bool rstrip = false;
  bool single_word = false;
  bool normalized = false;  // matched in the normalized text rather than the raw text
};

class AddedVocabulary {
 public:
  explicit AddedVocabulary(std::vector<AddedToken> tokens);

  // A piece of text: plain text to normalize, pre-tokenize and BPE-encode (id == -1), or one added token.
  struct Segment {
    std::string_view text;
    int32_t id;
  };

  // Appends the segments of `text` in order; together they cover all of `text` except whitespace swallowed
  // by lstrip/rstrip tokens. Empty plain segments are left out.
  void split(std::string_view text, std::vector<Segment>& out) const;

  const std::vector<AddedToken>& tokens() const { return tokens_; }

 private:
  // A byte trie of the tokens' contents. Node 0 is the root.
  struct Node {
    std::vector<std::pair<uint8_t, int32_t>> children;  // (byte, child node), sorted by byte
    int32_t token = -1;                                 // index into tokens_ of a token ending here
  };
  int32_t child(int32_t node, uint8_t byte) const;
  // The token index and end of the longest token matching text at `begin`, honouring single_word; -1 if none.
  std::pair<int32_t, size_t> longest_match(std::string_view text, size_t begin) const;

  const std::vector<AddedToken> tokens_;
  std::vector<Node> nodes_;
  std::array<bool, 256> starts_{};  // bytes that begin some token: the scan skips every other byte fast
};

}  // namespace spct::tokenizer
