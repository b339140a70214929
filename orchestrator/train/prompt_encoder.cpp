#include "orchestrator/train/prompt_encoder.h"

#include "models/tokenizer/factory.h"
#include "orchestrator/train/prompt_text.h"

namespace spct::train {

PromptEncoder::PromptEncoder(const config::Config& config, const tokenizer::Tokenizer& tokenizer)
    : tokenizer_(tokenizer),
      chat_format_(tokenizer::make_chat_format(config.tokenizer, config.model.path)),
      group_size_(static_cast<uint32_t>(config.rollout.group_size)) {}

std::pair<protocol::PromptItem, std::string> PromptEncoder::encode(const data::PromptItem& item) {
  protocol::PromptItem out;
  out.prompt_id = next_id_++;
  std::string text = prompt_text(item, chat_format_);
  out.prompt_tokens = tokenizer_.encode(text, /*add_special=*/false);
  out.answer = item.answer;
  out.group_size = group_size_;
  return {std::move(out), std::move(text)};
}

}  // namespace spct::train
