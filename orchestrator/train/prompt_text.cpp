#include "orchestrator/train/prompt_text.h"

#include <vector>

namespace spct::train {

std::string prompt_text(const data::PromptItem& item, const tokenizer::ChatFormat& chat_format) {
  if (!item.is_chat()) return item.prompt;
  std::vector<tokenizer::ChatMessage> messages;
  for (const data::ChatMessage& message : item.messages) messages.push_back({message.role, message.content});
  return chat_format.render(messages, /*add_generation_prompt=*/true);
}

}  // namespace spct::train
