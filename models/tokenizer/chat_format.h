// ChatFormat: the chat template an experiment renders prompts with, as `tokenizer.chat_template` chooses it: one
// of the built-in templates (chat_template.h) or the model's own Jinja template (model_chat_template.h).
//
// Thread safety: immutable; copies share the compiled model template.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "models/tokenizer/chat_template.h"
#include "models/tokenizer/model_chat_template.h"

namespace spct::tokenizer {

class ChatFormat {
 public:
  explicit ChatFormat(ChatTemplate builtin) : builtin_(builtin) {}
  explicit ChatFormat(std::shared_ptr<const ModelChatTemplate> model) : model_(std::move(model)) {}

  // The chat template `choice` (tokenizer.chat_template) for the model whose tokenizer files are in
  // `tokenizer_dir` (empty when there is none); `auto` without a model template is `fallback`. Throws
  // UsageError for `model` when the directory is empty or has no template, and InputError for a template that
  // does not load.
  static ChatFormat choose(config::ChatTemplateChoice choice, const std::string& tokenizer_dir, ChatTemplate fallback);

  // The prompt for `messages`; with `add_generation_prompt`, followed by the opening of an assistant turn.
  // Throws InputError when a model template fails or rejects the conversation (with the template's message).
  std::string render(std::span<const ChatMessage> messages, bool add_generation_prompt) const;

  // "chatml", ..., or "model template <origin>", for logs.
  std::string describe() const;

 private:
  ChatTemplate builtin_ = ChatTemplate::kNone;
  std::shared_ptr<const ModelChatTemplate> model_;
};

}  // namespace spct::tokenizer
