// The text a policy sees for a dataset item: the plain prompt, or chat messages rendered with the configured
// chat template and a generation prompt. One function, so that rollouts, rewards and the warm start agree.
#pragma once

#include <string>

#include "models/tokenizer/chat_template.h"
#include "orchestrator/data/prompt_item.h"

namespace spct::train {

std::string prompt_text(const data::PromptItem& item, tokenizer::ChatTemplate chat_template);

}  // namespace spct::train
