// The text a policy sees for a dataset item: the plain prompt, or chat messages rendered with the configured
// chat template (a built-in one or the model's own) and a generation prompt. One function, so that rollouts, rewards
// and the warm start agree.
#pragma once

#include <string>

#include "models/tokenizer/chat_format.h"
#include "orchestrator/data/prompt_item.h"

namespace spct::train {

std::string prompt_text(const data::PromptItem& item, const tokenizer::ChatFormat& chat_format);

}  // namespace spct::train
