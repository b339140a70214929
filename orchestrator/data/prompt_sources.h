// The prompt sources of a run, chosen by the config: a built-in task (data.task) or JSONL or Parquet files
// (data.path, data.eval_path).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/config/config.h"
#include "orchestrator/data/prompt_record.h"
#include "orchestrator/data/prompt_source.h"

namespace spct::data {

struct PromptSources {
  std::shared_ptr<const PromptSource> train;  // never null
  std::shared_ptr<const PromptSource> eval;   // null for a JSONL dataset without data.eval_path
};

// Tokens in an item's prompt as the policy sees it (the tokenizer and chat template applied).
using TokenCounter = std::function<int64_t(const PromptItem&)>;

// A prompt file: Parquet when `path` ends in .parquet (parquet_dataset.h), else JSONL (jsonl_dataset.h).
std::shared_ptr<const PromptSource> load_prompt_file(const std::string& path, const JsonlOptions& options);

// Builds the sources `config` names; a file's items are read with the data.*_field names and
// data.answer_extraction. With `count_tokens`, prompts longer than data.max_prompt_tokens are
// refused now rather than mid-run: each line or row of a file (spct::InputError naming file and line or row), or the
// longest prompt a built-in task can produce (spct::UsageError naming the task parameter). Also throws
// spct::UsageError when neither or both of data.task and data.path are set or a task parameter is unusable,
// and spct::InputError for a malformed file.
PromptSources make_prompt_sources(const config::Config& config, const TokenCounter& count_tokens = {});

}  // namespace spct::data
