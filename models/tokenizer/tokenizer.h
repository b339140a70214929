// The tokenizer interface: text to token ids and back. spct has two implementations: CharTokenizer (the fixed
// character vocabulary of the synthetic tasks) and BpeTokenizer (a Hugging Face tokenizer.json with a BPE model:
// byte-level as in Qwen, Llama 3 and DeepSeek-V3, or SentencePiece-style as in Llama 2 and Gemma).
// make_tokenizer (factory.h) picks one from the experiment config.
//
// Thread safety: every method is const and safe to call from several threads at once on one object.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace spct::tokenizer {

class Tokenizer {
 public:
  Tokenizer() = default;
  virtual ~Tokenizer() = default;
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // The ids of `text`. Special tokens written in the text (e.g. "<|im_end|>") map to their own ids. With
  // `add_special` the tokenizer's own framing is added (a BOS token, or a tokenizer.json post-processor
  // template); without it, nothing is added.
  // REQUIRES: text is valid UTF-8. Throws spct::InputError naming the byte offset of the first byte the
  // tokenizer cannot represent (invalid UTF-8, or a character outside a fixed vocabulary).
  virtual std::vector<int32_t> encode(std::string_view text, bool add_special = false) const = 0;

  // The text of `ids`, concatenated. With `skip_special` special tokens (pad, eos, <|im_end|> ...) are left
  // out. The result is valid UTF-8: bytes that do not form a character (ids that cut a multi-byte character)
  // become U+FFFD, as Hugging Face tokenizers do. An id at or past vocab_size() decodes to nothing, as in Hugging
  // Face's decode: a model's embedding is often padded past its tokenizer's vocabulary (Qwen2.5: 151936 rows,
  // 151665 tokens), and a sampler may draw those rows. Throws spct::InputError for a negative id.
  virtual std::string decode(std::span<const int32_t> ids, bool skip_special = false) const = 0;

  // The number of ids, including special and added tokens: every id is in [0, vocab_size()).
  virtual int32_t vocab_size() const = 0;

  // The id of a token given in the vocabulary's own spelling (for byte-level BPE, "Ġhello" is " hello"), or
  // of a special token ("<|im_end|>"); nullopt when the vocabulary has no such token.
  virtual std::optional<int32_t> token_to_id(std::string_view token) const = 0;

  // The vocabulary's spelling of one id (the inverse of token_to_id).
  // REQUIRES: 0 <= id < vocab_size().
  virtual std::string id_to_token(int32_t id) const = 0;

  // True for special tokens: those decode(..., skip_special = true) leaves out.
  virtual bool is_special(int32_t id) const = 0;

  // The token that ends a sequence (generation stops on it).
  virtual int32_t eos_id() const = 0;

  // The token that pads batches to one length (never attended to or trained on).
  virtual int32_t pad_id() const = 0;

  // The token that starts a sequence, when the vocabulary has one.
  virtual std::optional<int32_t> bos_id() const = 0;
};

}  // namespace spct::tokenizer
