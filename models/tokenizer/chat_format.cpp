#include "models/tokenizer/chat_format.h"

#include "core/error.h"

namespace spct::tokenizer {

ChatFormat ChatFormat::choose(config::ChatTemplateChoice choice, const std::string& tokenizer_dir,
                              ChatTemplate fallback) {
  if (const std::optional<ChatTemplate> builtin = config::builtin_template(choice)) return ChatFormat(*builtin);
  std::optional<ModelChatTemplate> found;
  if (!tokenizer_dir.empty()) found = ModelChatTemplate::find(tokenizer_dir);
  if (found) return ChatFormat(std::make_shared<const ModelChatTemplate>(std::move(*found)));
  if (choice == config::ChatTemplateChoice::kAuto) return ChatFormat(fallback);
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
  return config::to_string(builtin_);
}

}  // namespace spct::tokenizer
