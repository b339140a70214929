// The normalizer step of a Hugging Face tokenizer.json, run on the text between added tokens before
// pre-tokenization. Supported, alone or in a "Sequence" (applied in order):
//   NFC, NFD, NFKC, NFKD   Unicode normal forms (Qwen: NFC)
//   Prepend {prepend}      puts `prepend` before a non-empty text (Llama 2: "▁")
//   Replace {pattern: {String: "..."} | {Regex: "..."}, content}
//                          replaces every non-overlapping match, left to right (Llama 2, Gemma: " " -> "▁")
// Anything else is an InputError naming the file and JSON path, never a silent difference in ids.
//
// Thread safety: immutable after construction; apply() may be called concurrently.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "models/tokenizer/json_view.h"
#include "models/tokenizer/regex.h"

namespace spct::tokenizer {

class Normalizer {
 public:
  enum class Form { kNfc, kNfd, kNfkc, kNfkd };

  // Reads the tokenizer.json "normalizer" value (nullopt or null: no normalization). Throws InputError naming
  // the file and JSON path for a malformed or unsupported normalizer.
  static Normalizer from_json(const std::optional<JsonView>& json);

  // Only Unicode normal forms, in order.
  explicit Normalizer(const std::vector<Form>& forms);

  Normalizer(Normalizer&&) = default;
  ~Normalizer();

  // True when apply() never changes a text.
  bool is_identity() const { return steps_.empty(); }

  // The normalized form of `text`. REQUIRES: text is valid UTF-8.
  std::string apply(std::string_view text) const;

 private:
  enum class Kind { kForm, kPrepend, kReplace };
  struct Step {
    Kind kind = Kind::kForm;
    Form form = Form::kNfc;
    std::string text;              // kPrepend: what is prepended; kReplace: the replacement
    std::unique_ptr<Regex> regex;  // kReplace: the pattern (a literal String pattern is compiled literally)
  };

  Normalizer() = default;
  void add_steps(const JsonView& json);

  std::vector<Step> steps_;
};

}  // namespace spct::tokenizer
