// BpeTokenizer: a Hugging Face tokenizer.json with a BPE model, byte-level (Qwen 2/2.5/3, Llama 3, DeepSeek-V3,
// GPT-2 and their kin) or SentencePiece-style (Llama 2, Gemma: characters, byte fallback, "▁" for spaces),
// giving the same ids and decoded text as Hugging Face's own tokenizers. The pipeline, in order:
//   1. added tokens with "normalized": false are cut out of the raw text (added_vocabulary.h);
//   2. the text between them is normalized (normalizer.h: NFC for Qwen; " " -> "▁" for Gemma; "▁" prepended
//      and " " -> "▁" for Llama 2), and added tokens with "normalized": true are cut out of that;
//   3. pre-tokenized into words by the file's split regexes run through PCRE2 (pre_tokenizer.h);
//   4. each word is merged by BPE rank (bpe_model.h, cached per word).
// decode() runs the file's decoder (decoder.h) over the tokens' spellings; for a lone ByteLevel decoder it
// concatenates precomputed bytes per id instead.
//
// encode(text, add_special = true) adds what the post-processor ("TemplateProcessing") puts around a single
// sequence, as Hugging Face's encode(add_special_tokens=True) does: <s> for Llama 2, <bos> for Gemma, nothing
// for Qwen 3, Llama 3 and DeepSeek-V3 (whose files have only a ByteLevel post-processor).
// tokenizer_config.json's add_bos_token / add_eos_token are not read: transformers 5 gives the same ids as
// the post-processor for all five of these files.
//
// The end, padding and start tokens come from tokenizer_config.json beside tokenizer.json (eos_token,
// pad_token, bos_token) when it exists; otherwise from well-known names (<|im_end|>, <|eot_id|>,
// <|endoftext|>, <|end_of_text|>, </s>; <|begin_of_text|>, <s>); padding falls back to the end token.
//
// Thread safety: immutable after load except the BPE word cache, which is internally locked; every method
// may be called concurrently.
#pragma once

#include <memory>
#include <string>

#include "models/tokenizer/added_vocabulary.h"
#include "models/tokenizer/bpe_model.h"
#include "models/tokenizer/decoder.h"
#include "models/tokenizer/normalizer.h"
#include "models/tokenizer/pre_tokenizer.h"
#include "models/tokenizer/tokenizer.h"

namespace spct::tokenizer {

class BpeTokenizer final : public Tokenizer {
 public:
  // Loads the tokenizer.json at `path` (and tokenizer_config.json in the same directory, when present).
  // Throws spct::InputError naming the file and the JSON path (e.g. "model.merges[12]") for an unreadable
  // file, malformed JSON (with the byte offset), a value of the wrong type, a merge over unknown tokens, and
  // any component this implementation does not support (which would otherwise give silently different ids).
  // A pre-tokenizer with a ByteLevel step makes the model byte-level; without one it works on characters.
  static std::unique_ptr<BpeTokenizer> load(const std::string& path);

  std::vector<int32_t> encode(std::string_view text, bool add_special = false) const override;
  std::string decode(std::span<const int32_t> ids, bool skip_special = false) const override;
  int32_t vocab_size() const override { return static_cast<int32_t>(spelling_.size()); }
  std::optional<int32_t> token_to_id(std::string_view token) const override;
  std::string id_to_token(int32_t id) const override;
  bool is_special(int32_t id) const override;
  int32_t eos_id() const override { return eos_id_; }
  int32_t pad_id() const override { return pad_id_; }
  std::optional<int32_t> bos_id() const override { return bos_id_; }

  // The file this tokenizer was loaded from.
  const std::string& path() const { return path_; }

  // Words in the BPE cache (for tests and benchmarks).
  size_t cached_words() const { return model_.cache_size(); }

 private:
  BpeTokenizer(const JsonView& root, const std::string& path);
  void read_post_processor(const std::optional<JsonView>& json);
  void read_special_ids(const std::string& path);
  // Encodes one piece of text between raw-matched added tokens; `starts_input`: it begins the input.
  void encode_plain(std::string_view text, bool starts_input, std::vector<int32_t>& ids) const;

  const std::string path_;
  const Normalizer normalizer_;
  const PreTokenizer pre_tokenizer_;
  const BpeModel model_;
  const Decoder decoder_;
  const AddedVocabulary added_;             // "normalized": false, matched in the raw text
  const AddedVocabulary normalized_added_;  // "normalized": true, matched in the normalized text
  StringIdMap added_ids_;                   // added token content -> id
  std::vector<std::string> spelling_;       // id -> the vocabulary's spelling (added tokens: their content)
  std::vector<std::string> bytes_;          // id -> the bytes it decodes to (only for a lone ByteLevel decoder)
  std::vector<bool> special_;               // id -> is a special added token
  std::vector<int32_t> prefix_ids_;         // add_special framing from a TemplateProcessing post-processor
  std::vector<int32_t> suffix_ids_;
  int32_t eos_id_ = -1;
  int32_t pad_id_ = -1;
  std::optional<int32_t> bos_id_;
};

}  // namespace spct::tokenizer
