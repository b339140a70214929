// The options of a tokenizer.json "Metaspace" component (SentencePiece's way of keeping spaces: each space is
// written as a visible replacement character, "▁" U+2581), shared by the Metaspace pre-tokenizer
// (pre_tokenizer.h) and the Metaspace decoder (decoder.h), which read the same keys.
//
// Thread safety: a plain value.
#pragma once

#include <string>

#include "models/tokenizer/json_view.h"

namespace spct::tokenizer {

struct MetaspaceOptions {
  // Where a replacement character is put before a word that does not start with one: every word, only the
  // word that starts the input (not one after an added token), or none.
  enum class Prepend { kAlways, kFirst, kNever };

  std::string replacement = "\u2581";  // one character, as UTF-8
  Prepend prepend = Prepend::kAlways;
  bool split = true;  // the pre-tokenizer cuts a word before each replacement character

  // Reads {replacement, prepend_scheme: "always" | "first" | "never", split}; files written before
  // prepend_scheme existed say add_prefix_space (true: always, false: never). Throws InputError naming the
  // file and JSON path for a replacement that is not one character or an unknown scheme.
  static MetaspaceOptions from_json(const JsonView& json);
};

}  // namespace spct::tokenizer
