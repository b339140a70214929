#include "models/tokenizer/chat_template.h"

#include "core/error.h"

namespace spct::tokenizer {
namespace {

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\n\r\v\f";
  const size_t begin = text.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(kSpace) - begin + 1);
}

}  // namespace

std::string render_chat(ChatTemplate chat_template, std::span<const ChatMessage> messages, bool add_generation_prompt) {
  std::string out;
  switch (chat_template) {
    case ChatTemplate::kNone:
      for (size_t i = 0; i < messages.size(); ++i) {
        if (i > 0) out += '\n';
        out += messages[i].content;
      }
      break;
    case ChatTemplate::kChatml:
      for (const ChatMessage& message : messages) {
        out.append("<|im_start|>").append(message.role).append("\n").append(message.content).append("<|im_end|>\n");
      }
      if (add_generation_prompt) out += "<|im_start|>assistant\n";
      break;
    case ChatTemplate::kLlama3:
      out += "<|begin_of_text|>";
      for (const ChatMessage& message : messages) {
        out.append("<|start_header_id|>").append(message.role).append("<|end_header_id|>\n\n");
        out.append(trim(message.content)).append("<|eot_id|>");
      }
      if (add_generation_prompt) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
      break;
  }
  return out;
}

}  // namespace spct::tokenizer
