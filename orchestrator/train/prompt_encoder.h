// Turns dataset items into protocol items (token ids), numbering prompts from a counter a checkpoint saves
// (sampling seeds derive from the prompt id).
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "core/config/config.h"
#include "core/protocol/messages.h"
#include "models/tokenizer/chat_format.h"
#include "models/tokenizer/tokenizer.h"
#include "orchestrator/data/prompt_item.h"

namespace spct::train {

class PromptEncoder {
 public:
  // `tokenizer` must outlive the encoder.
  PromptEncoder(const config::Config& config, const tokenizer::Tokenizer& tokenizer);

  // The protocol item and the prompt's text (what rule rewards and the GRM read).
  std::pair<protocol::PromptItem, std::string> encode(const data::PromptItem& item);

  uint64_t next_id() const { return next_id_; }
  void set_next_id(uint64_t id) { next_id_ = id; }

 private:
  const tokenizer::Tokenizer& tokenizer_;
  const tokenizer::ChatFormat chat_format_;
  const uint32_t group_size_;
  uint64_t next_id_ = 0;
};

}  // namespace spct::train
