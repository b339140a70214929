// ModelChatTemplate: the chat template a model ships with, rendered as transformers' apply_chat_template(...,
// tokenize=False) renders it. The template is the file chat_template.jinja of the model's tokenizer directory when
// there is one (transformers saves templates there since v4.50), otherwise the "chat_template" of
// tokenizer_config.json (a string, or a list of {"name", "template"} of which "default" is used). The template sees
// `messages`, `add_generation_prompt` and the special tokens tokenizer_config.json names (bos_token, eos_token,
// unk_token, sep_token, pad_token, cls_token, mask_token and the keys of extra_special_tokens), as strings.
//
// Thread safety: immutable after load; render() may run on several threads at once.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>

#include "models/tokenizer/chat_template.h"

namespace spct::tokenizer {

namespace jinja {
class Template;
}

class ModelChatTemplate {
 public:
  // The template of tokenizer directory `dir`, or nullopt when it has none (no chat_template.jinja and no
  // "chat_template" in tokenizer_config.json, or no tokenizer_config.json). Throws InputError naming the file for
  // an unreadable or malformed config and for a template that does not parse (with its line and column).
  static std::optional<ModelChatTemplate> find(const std::string& dir);

  // The prompt for `messages` (role and content strings). Throws InputError when the template fails, naming the
  // template's file, line and column; when the template rejects the conversation with raise_exception(), the
  // message is the template's own.
  std::string render(std::span<const ChatMessage> messages, bool add_generation_prompt) const;

  // As render(), for messages as JSON (an array of objects; content may be a list of parts, messages may carry
  // tool_calls), with `extra` variables (e.g. tools, enable_thinking) beside the standard ones.
  std::string render_json(const nlohmann::ordered_json& messages, bool add_generation_prompt,
                          const nlohmann::ordered_json& extra = nlohmann::ordered_json::object()) const;

  // Where the template came from: "<dir>/chat_template.jinja" or "<dir>/tokenizer_config.json".
  const std::string& origin() const { return origin_; }

 private:
  ModelChatTemplate(std::shared_ptr<const jinja::Template> compiled, std::string origin,
                    nlohmann::ordered_json special_tokens)
      : compiled_(std::move(compiled)), origin_(std::move(origin)), special_tokens_(std::move(special_tokens)) {}

  std::shared_ptr<const jinja::Template> compiled_;
  std::string origin_;
  nlohmann::ordered_json special_tokens_;  // name -> token text
};

}  // namespace spct::tokenizer
