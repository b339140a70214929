// make_tokenizer: the tokenizer an experiment config asks for.
#pragma once

#include <memory>
#include <string>

#include "core/config/config.h"
#include "models/tokenizer/chat_format.h"
#include "models/tokenizer/tokenizer.h"

namespace spct::tokenizer {

// kind "char": the built-in CharTokenizer. kind "hf": a BpeTokenizer loaded from `section.path`, or from
// "<model_dir>/tokenizer.json" when the path is empty. Throws spct::UsageError for an unknown kind or an hf
// tokenizer with neither a path nor a model directory, and spct::InputError when the file cannot be loaded.
std::unique_ptr<Tokenizer> make_tokenizer(const config::TokenizerSection& section, const std::string& model_dir);

// The chat template `section.chat_template` names. The model's own template (model, auto) is looked up in the
// directory of `section.path` when it is set, else in `model_dir`. Throws as ChatFormat::choose.
ChatFormat make_chat_format(const config::TokenizerSection& section, const std::string& model_dir);

// The tokenizer named on a command line: "char", a tokenizer.json file, or a directory holding one.
// Throws spct::UsageError when the name is none of these, spct::InputError when the file cannot be loaded.
std::unique_ptr<Tokenizer> open_tokenizer(const std::string& name);

}  // namespace spct::tokenizer
