// Chat templates: how a conversation becomes the one prompt string a model reads. spct renders the three
// formats its models use itself rather than running Jinja; the names are the choices of the config key
// `tokenizer.chat_template`:
//   none    the contents joined by "\n" (synthetic tasks: the prompt is the text)
//   chatml  Qwen: "<|im_start|>{role}\n{content}<|im_end|>\n" per message; the generation prompt is
//           "<|im_start|>assistant\n"
//   llama3  Llama 3: "<|begin_of_text|>", then "<|start_header_id|>{role}<|end_header_id|>\n\n{content}<|eot_id|>"
//           per message with the content trimmed of leading and trailing whitespace (as Meta's template
//           does); the generation prompt is "<|start_header_id|>assistant<|end_header_id|>\n\n"
// The special tokens in the result map to their ids when a BpeTokenizer encodes it.
//
// Thread safety: pure functions.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "core/config/choices.h"

namespace spct::tokenizer {

struct ChatMessage {
  std::string role;  // "system", "user", "assistant", ...
  std::string content;
};

// The built-in templates; config::to_string gives a template's name.
using config::ChatTemplate;

// The prompt for `messages`; with `add_generation_prompt`, followed by the opening of an assistant turn for the
// model to complete (nothing for `none`).
std::string render_chat(ChatTemplate chat_template, std::span<const ChatMessage> messages, bool add_generation_prompt);

}  // namespace spct::tokenizer
