// CharTokenizer: the built-in tokenizer of spct's synthetic tasks. One token per character, over a fixed
// vocabulary so that every model trained on it reads the same ids:
//   0 <pad>   1 <bos>   2 <eos>   3 '\n'   4 + (c - 32) for the printable ASCII characters c in 32..126
// (99 ids in all). The special tokens written in a text ("<eos>") map to their ids.
//
// Thread safety: immutable after construction; every method may be called concurrently.
#pragma once

#include "models/tokenizer/tokenizer.h"

namespace spct::tokenizer {

class CharTokenizer final : public Tokenizer {
 public:
  static constexpr int32_t kPad = 0;
  static constexpr int32_t kBos = 1;
  static constexpr int32_t kEos = 2;
  static constexpr int32_t kNewline = 3;
  static constexpr int32_t kFirstPrintable = 4;  // the id of ' ' (32); '~' (126) is 98
  static constexpr int32_t kVocabSize = 99;

  // One id per character; add_special puts <bos> first. Throws spct::InputError naming the byte offset of the
  // first character outside the vocabulary (a tab, a control byte, any non-ASCII byte).
  std::vector<int32_t> encode(std::string_view text, bool add_special = false) const override;
  std::string decode(std::span<const int32_t> ids, bool skip_special = false) const override;
  int32_t vocab_size() const override { return kVocabSize; }
  std::optional<int32_t> token_to_id(std::string_view token) const override;
  std::string id_to_token(int32_t id) const override;
  bool is_special(int32_t id) const override { return id >= kPad && id <= kEos; }
  int32_t eos_id() const override { return kEos; }
  int32_t pad_id() const override { return kPad; }
  std::optional<int32_t> bos_id() const override { return kBos; }
};

}  // namespace spct::tokenizer
