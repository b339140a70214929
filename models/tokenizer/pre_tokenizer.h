// The pre-tokenizer step of a Hugging Face tokenizer.json: splits normalized text into words, each of which
// BPE then encodes on its own. Supports what byte-level BPE (GPT-2, Qwen, Llama 3, DeepSeek-V3) and
// SentencePiece-style BPE (Llama 2, Gemma) tokenizers use:
//   Split       {pattern: {Regex: "..."} | {String: "..."}, behavior, invert}
//               behavior: Isolated | Removed | MergedWithPrevious | MergedWithNext
//   ByteLevel   {add_prefix_space, use_regex}: marks the model as byte-level; use_regex splits with GPT-2's
//               regex, add_prefix_space puts a space before a word that does not start with one
//   Metaspace   {replacement, prepend_scheme, split}: every space becomes `replacement` ("▁"); prepend_scheme
//               "always" puts one before a word that does not start with it, "first" only before the word
//               that starts the whole input (not after an added token), "never" nowhere (older files:
//               add_prefix_space true/false for always/never); split cuts before each replacement character
//   Sequence    {pretokenizers: [...]}: each step splits every word of the previous step
// Anything else is an InputError naming the file and JSON path, never a silent difference in ids.
//
// Thread safety: immutable after construction; split() may be called concurrently.
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "models/tokenizer/json_view.h"
#include "models/tokenizer/regex.h"

namespace spct::tokenizer {

class PreTokenizer {
 public:
  // Reads the tokenizer.json "pre_tokenizer" value (nullopt or null: the whole text is one word).
  static PreTokenizer from_json(const std::optional<JsonView>& json);

  PreTokenizer(PreTokenizer&&) = default;
  ~PreTokenizer();

  // True when a ByteLevel step is present (the vocabulary spells bytes in the byte-level alphabet).
  bool byte_level() const { return byte_level_; }

  // Appends the words of `text` to `words`. `starts_input`: `text` begins the whole input (Metaspace's
  // prepend_scheme "first"), i.e. no added token or other text comes before it. Each word is a view into
  // `text` or into a string appended to `storage` (when a step builds new text, as add_prefix_space does); both
  // must outlive the views. REQUIRES: text is valid UTF-8.
  void split(std::string_view text, bool starts_input, std::vector<std::string_view>& words,
             std::deque<std::string>& storage) const;

 private:
  enum class Behavior { kIsolated, kRemoved, kMergedWithPrevious, kMergedWithNext };
  struct Step {
    std::unique_ptr<Regex> regex;  // null: no split (a ByteLevel step with use_regex false)
    Behavior behavior = Behavior::kIsolated;
    bool invert = false;
    std::string space_replacement;   // Metaspace: every ' ' becomes this first ("": spaces stay)
    std::string prefix;              // put before a word that does not start with it ("": nothing)
    bool prefix_first_only = false;  // only before the word that starts the input (Metaspace "first")
  };

  PreTokenizer() = default;
  void add_steps(const JsonView& json);
  void add_metaspace(const JsonView& json);
  static void apply(const Step& step, std::string_view word, bool starts_input, std::vector<std::string_view>& out,
                    std::deque<std::string>& storage);

  std::vector<Step> steps_;
  bool byte_level_ = false;
};

}  // namespace spct::tokenizer
