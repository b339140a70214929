#include "models/tokenizer/factory.h"

#include <filesystem>

#include "core/error.h"
#include "models/tokenizer/bpe_tokenizer.h"
#include "models/tokenizer/char_tokenizer.h"

namespace spct::tokenizer {

std::unique_ptr<Tokenizer> make_tokenizer(const config::TokenizerSection& section, const std::string& model_dir) {
  if (section.kind == config::TokenizerKind::kChar) return std::make_unique<CharTokenizer>();
  if (!section.path.empty()) return BpeTokenizer::load(section.path);
  if (model_dir.empty()) {
    throw UsageError("tokenizer.kind is hf but neither tokenizer.path nor model.path says where tokenizer.json is");
  }
  return BpeTokenizer::load((std::filesystem::path(model_dir) / "tokenizer.json").string());
}

ChatFormat make_chat_format(const config::TokenizerSection& section, const std::string& model_dir) {
  std::string dir = model_dir;
  if (!section.path.empty()) {
    const std::filesystem::path parent = std::filesystem::path(section.path).parent_path();
    dir = parent.empty() ? "." : parent.string();
  }
  return ChatFormat::choose(section.chat_template, dir, section.chat_template_fallback);
}

std::unique_ptr<Tokenizer> open_tokenizer(const std::string& name) {
  if (name == "char") return std::make_unique<CharTokenizer>();
  const std::filesystem::path path(name);
  if (std::filesystem::is_directory(path)) {
    const auto file = path / "tokenizer.json";
    if (!std::filesystem::exists(file)) throw UsageError("tokenizer directory " + name + " has no tokenizer.json");
    return BpeTokenizer::load(file.string());
  }
  if (!std::filesystem::exists(path)) {
    throw UsageError("tokenizer \"" + name +
                     "\" is neither \"char\", a tokenizer.json file, nor a directory holding one");
  }
  return BpeTokenizer::load(name);
}

}  // namespace spct::tokenizer
