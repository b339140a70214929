// BpeModel: the BPE model of a Hugging Face tokenizer.json ("model": {"type": "BPE", ...}). Turns one
// pre-tokenized word into token ids by applying merges in rank order. Two alphabets:
//   byte-level (GPT-2, Qwen, Llama 3, DeepSeek-V3; the pre-tokenizer has a ByteLevel step): a word is raw bytes
//     and each byte starts as the token that spells it in the byte-level alphabet (byte_level.h);
//   characters (SentencePiece-style: Llama 2, Gemma): a word is UTF-8 text and each character starts as its
//     own token; a character the vocabulary lacks becomes the "<0xNN>" tokens of its bytes with byte_fallback,
//     else unk_token (consecutive unknown characters fused into one with fuse_unk).
//
// The merge loop keeps the word as a linked list of symbols and a min-heap of candidate adjacent pairs keyed
// by (merge rank, position): each step merges the best pair and pushes only the two new neighbour pairs, so a
// word of n bytes takes O(n log n), not the O(n^2) of rescanning all pairs after every merge. Results are
// cached per word, since natural text repeats words constantly.
//
// Thread safety: encode_word() may be called concurrently; the cache is guarded by a shared mutex.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "models/tokenizer/json_view.h"

namespace spct::tokenizer {

// Hash and equality that let unordered_map<std::string, ...> be searched with a std::string_view.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using StringIdMap = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

class BpeModel {
 public:
  // Reads "model" of a tokenizer.json: vocab (token -> id), merges (either "a b" strings or ["a", "b"]
  // pairs; rank = position; a pair listed twice keeps its last rank, as in Hugging Face), unk_token,
  // byte_fallback, fuse_unk, ignore_merges. `byte_level` picks the alphabet (see above). Throws InputError
  // naming the file and JSON path for a malformed model, for a merge whose parts or result are not in the
  // vocabulary, for byte_fallback without all 256 "<0xNN>" tokens, and for BPE options this implementation
  // does not have (dropout, continuing_subword_prefix, end_of_word_suffix).
  BpeModel(const JsonView& model, bool byte_level);

  BpeModel(const BpeModel&) = delete;
  BpeModel& operator=(const BpeModel&) = delete;

  // Appends the ids of `word` (one pre-tokenized word; valid UTF-8 unless byte-level). Throws InputError when
  // a byte (byte-level) or character has no token and the model has neither byte_fallback nor unk_token.
  void encode_word(std::string_view word, std::vector<int32_t>& out) const;

  // token -> id in the vocabulary's own spelling ("Ġhello").
  const StringIdMap& vocab() const { return vocab_; }

  // One more than the largest id in the vocabulary.
  int32_t id_limit() const { return id_limit_; }

  // Words currently cached (for tests and benchmarks).
  size_t cache_size() const;

 private:
  struct Merge {
    int32_t rank;
    int32_t merged;
  };
  static uint64_t pair_key(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
  }

  void read_merges(const JsonView& merges);
  // The first symbols of `word`: one id per byte (byte-level) or per character (with fallbacks).
  void initial_ids(std::string_view word, std::vector<int32_t>& ids) const;
  // Merges `ids` (the symbols of one word) in rank order and appends the result to `out`.
  void merge(const std::vector<int32_t>& ids, std::vector<int32_t>& out) const;

  const bool byte_level_;
  StringIdMap vocab_;
  StringIdMap bytes_to_id_;  // byte-level: raw bytes of a vocabulary token -> id (for ignore_merges)
  // Byte-level: the id of each single byte. Characters: the id of each ASCII character (bytes >= 0x80: -1).
  // -1 when the vocabulary lacks it.
  std::array<int32_t, 256> byte_ids_{};
  std::array<int32_t, 256> fallback_ids_{};  // byte_fallback: the id of "<0xNN>" for each byte
  std::unordered_map<uint64_t, Merge> merges_;
  std::optional<int32_t> unk_id_;
  bool byte_fallback_ = false;
  bool fuse_unk_ = false;
  bool ignore_merges_ = false;
  int32_t id_limit_ = 0;

  // Words longer than this are not cached (they are rare and would bloat the cache).
  static constexpr size_t kMaxCachedWordBytes = 128;
  // The cache is emptied when it reaches this many words, bounding memory on endless streams of new words.
  static constexpr size_t kMaxCachedWords = 1 << 18;
  mutable std::shared_mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<int32_t>, StringHash, std::equal_to<>> cache_;
};

}  // namespace spct::tokenizer
