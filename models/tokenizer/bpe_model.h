// BpeModel: the byte-level BPE model of a Hugging Face tokenizer.json ("model": {"type": "BPE", ...}). Turns one
// pre-tokenized word (raw bytes) into token ids by applying merges in rank order.
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
  // pairs; rank = position), unk_token, ignore_merges. Throws InputError naming the file and JSON path for a
  // malformed model, for a merge whose parts or result are not in the vocabulary, and for BPE options this
  // implementation does not have (byte_fallback, continuing_subword_prefix, end_of_word_suffix).
  explicit BpeModel(const JsonView& model);

  BpeModel(const BpeModel&) = delete;
  BpeModel& operator=(const BpeModel&) = delete;

  // Appends the ids of `word` (raw bytes, one pre-tokenized word). Throws InputError when a byte has no
  // token and the model has no unk_token.
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
  void merge(std::string_view word, std::vector<int32_t>& out) const;

  StringIdMap vocab_;
  StringIdMap bytes_to_id_;              // raw bytes of a vocabulary token -> id (for ignore_merges)
  std::array<int32_t, 256> byte_ids_{};  // the id of each single byte, -1 when the vocabulary lacks it
  std::unordered_map<uint64_t, Merge> merges_;
  std::optional<int32_t> unk_id_;
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
