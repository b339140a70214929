// The prompt sources of a run, chosen by the config: a built-in task (data.task) or JSONL files (data.path,
// data.eval_path).
#pragma once

#include <memory>

#include "core/config/config.h"
#include "orchestrator/data/jsonl_dataset.h"
#include "orchestrator/data/prompt_source.h"

namespace spct::data {

struct PromptSources {
  std::shared_ptr<const PromptSource> train;  // never null
  std::shared_ptr<const PromptSource> eval;   // null for a JSONL dataset without data.eval_path
};

// Builds the sources `config` names; `jsonl` carries the token counter for data.max_prompt_tokens (its
// max_prompt_tokens is taken from the config). Throws spct::UsageError when neither or both of data.task and
// data.path are set or a task parameter is unusable, spct::InputError for a malformed file.
PromptSources make_prompt_sources(const config::Config& config, JsonlOptions jsonl = {});

}  // namespace spct::data
