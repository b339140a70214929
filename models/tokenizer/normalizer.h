// The normalizer step of a Hugging Face tokenizer.json: Unicode normal forms (NFC for Qwen; Llama 3 has none),
// alone or in a "Sequence". Normalization runs on the text between added tokens, before pre-tokenization.
//
// Thread safety: immutable after construction; apply() may be called concurrently.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "models/tokenizer/json_view.h"

namespace spct::tokenizer {

class Normalizer {
 public:
  enum class Form { kNfc, kNfd, kNfkc, kNfkd };

  // Reads the tokenizer.json "normalizer" value (nullopt or null: no normalization). Throws InputError naming
  // the file and JSON path for a malformed or unsupported normalizer.
  static Normalizer from_json(const std::optional<JsonView>& json);

  explicit Normalizer(std::vector<Form> steps) : steps_(std::move(steps)) {}

  // True when apply() never changes a text.
  bool is_identity() const { return steps_.empty(); }

  // The normalized form of `text`. REQUIRES: text is valid UTF-8.
  std::string apply(std::string_view text) const;

 private:
  const std::vector<Form> steps_;
};

}  // namespace spct::tokenizer
