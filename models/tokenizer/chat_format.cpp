#include "models/tokenizer/chat_format.h"

#include "core/error.h"

namespace spct::tokenizer {

ChatFormat ChatFormat::choose(std::string_view name, const std::string& tokenizer_dir, std::string_view fallback) {
  if (name != "model" && name != "auto") {
    if (name == "none" || name == "chatml" || name == "llama3") return ChatFormat(parse_chat_template(name));
    throw UsageError("tokenizer.chat_template: unknown template \"" + std::string(name) +
                     "\" (choices: none, chatml, llama3, model, auto)");
  }
  std::optional<ModelChatTemplate> found;
  if (!tokenizer_dir.empty()) found = ModelChatTemplate::find(tokenizer_dir);
  if (found) return ChatFormat(std::make_shared<const ModelChatTemplate>(std::move(*found)));
  if (name == "auto") return ChatFormat(parse_chat_template(fallback));
  if (tokenizer_dir.empty()) {
    throw UsageError(
        "tokenizer.chat_template is model but neither tokenizer.path nor model.path says where the "
        "model's tokenizer_config.json is");
  }
  throw UsageError("tokenizer.chat_template is model but " + tokenizer_dir +
                   " has no chat template (no chat_template.jinja, no \"chat_template\" in tokenizer_config.json); "
                   "use auto with tokenizer.chat_template_fallback, or a built-in template");
}

std::string ChatFormat::render(std::span<const ChatMessage> messages, bool add_generation_prompt) const {
  if (model_) return model_->render(messages, add_generation_prompt);
  return render_chat(builtin_, messages, add_generation_prompt);
}

std::string ChatFormat::describe() const {
  if (model_) return "model template " + model_->origin();
  return std::string(chat_template_name(builtin_));
}

}  // namespace spct::tokenizer
