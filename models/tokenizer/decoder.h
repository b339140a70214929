// The decoder step of a Hugging Face tokenizer.json: turns the tokens of some ids (their vocabulary spellings,
// added tokens as their content) back into text, the way Hugging Face tokenizers does it. Supported, alone or
// in a "Sequence" (applied in order, each to the token list the previous one left):
//   ByteLevel      maps each token's byte-level spelling back to bytes (a token with a character outside the
//                  alphabet stays as its own UTF-8) and joins them into one token, invalid UTF-8 made U+FFFD
//   ByteFallback   a run of "<0xNN>" tokens becomes the text of those bytes, or one U+FFFD per byte when they
//                  are not valid UTF-8
//   Metaspace      {replacement, prepend_scheme}: the replacement character becomes a space, except in the
//                  first token when prepend_scheme is not "never" (there it is dropped)
//   Replace        {pattern: {String | Regex}, content}: in each token
//   Strip          {content, start, stop}: removes up to `start` leading and `stop` trailing `content`
//                  characters from each token
//   Fuse           joins all tokens into one
// Without a decoder the tokens are joined with spaces, as Hugging Face does. Anything else is an InputError
// naming the file and JSON path.
//
// Thread safety: immutable after construction; decode() may be called concurrently.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/tokenizer/json_view.h"
#include "models/tokenizer/regex.h"

namespace spct::tokenizer {

class Decoder {
 public:
  // Reads the tokenizer.json "decoder" value (nullopt or null: join the tokens with spaces).
  static Decoder from_json(const std::optional<JsonView>& json);

  Decoder(Decoder&&) = default;
  ~Decoder();

  // True when the decoder is one ByteLevel step: the text of some ids is then the concatenation of each id's
  // bytes, repaired to UTF-8, which the tokenizer computes without building token strings.
  bool byte_level_only() const { return steps_.size() == 1 && steps_[0].kind == Kind::kByteLevel; }

  // The text of `tokens`.
  std::string decode(std::vector<std::string> tokens) const;

 private:
  enum class Kind { kByteLevel, kByteFallback, kMetaspace, kReplace, kStrip, kFuse };
  struct Step {
    Kind kind = Kind::kFuse;
    std::string text;              // kMetaspace: the replacement; kReplace: the replacement; kStrip: the character
    std::unique_ptr<Regex> regex;  // kReplace: the pattern
    bool drop_in_first = false;    // kMetaspace: the first token loses its replacement characters
    size_t start = 0, stop = 0;    // kStrip: at most this many characters from the start and from the end
  };

  Decoder() = default;
  void add_steps(const JsonView& json);
  static void apply(const Step& step, std::vector<std::string>& tokens);

  std::vector<Step> steps_;
  bool present_ = false;  // false: no decoder in the file
};

}  // namespace spct::tokenizer
