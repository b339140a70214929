#include "orchestrator/data/prompt_sources.h"

#include <string>

#include "core/error.h"
#include "orchestrator/data/jsonl_dataset.h"
#include "orchestrator/data/parquet_dataset.h"
#include "orchestrator/data/preference_prompts.h"
#include "orchestrator/data/synthetic_task.h"

namespace spct::data {

namespace {

PromptSources make_task_sources(const config::Config& config, const TokenCounter& count_tokens) {
  const config::DataSection& data = config.data;
  const TaskOptions options = task_options(data);
  const auto seed = static_cast<uint64_t>(config.run.seed);
  const auto eval_size = static_cast<uint64_t>(data.eval_size);
  auto train = std::make_shared<SyntheticTask>(options, Split::kTrain, seed, eval_size);
  if (count_tokens) {
    const int64_t tokens = count_tokens(train->longest_prompt());
    if (tokens > data.max_prompt_tokens) {
      const std::string key = options.kind == TaskKind::kAdd ? "data.max_operand" : "data.max_length";
      throw UsageError("data.task " + config::to_string(data.task) + ": with this " + key + " a prompt can have " +
                       std::to_string(tokens) +
                       " tokens, more than data.max_prompt_tokens = " + std::to_string(data.max_prompt_tokens));
    }
  }
  return {train, std::make_shared<SyntheticTask>(options, Split::kEval, seed, eval_size)};
}

}  // namespace

std::shared_ptr<const PromptSource> load_prompt_file(const std::string& path, const JsonlOptions& options) {
  if (path.ends_with(".parquet")) return ParquetDataset::load(path, options);
  return JsonlDataset::load(path, options);
}

PromptSources make_prompt_sources(const config::Config& config, const TokenCounter& count_tokens) {
  const config::DataSection& data = config.data;
  const bool no_task = data.task == config::DataTask::kNone;
  if (no_task == data.path.empty()) {
    throw UsageError(no_task ? "set data.task (a built-in task) or data.path (a JSONL or Parquet file)"
                             : "data.task and data.path are both set: choose one");
  }
  if (data.task == config::DataTask::kPreference ||
      (!data.path.empty() && data.format == config::DataFormat::kPreference)) {
    const PreferenceSources preference = make_preference_sources(config, count_tokens);
    return {preference.train, preference.eval};
  }
  if (!no_task) return make_task_sources(config, count_tokens);
  JsonlOptions options;
  options.count_tokens = count_tokens;
  options.max_prompt_tokens = data.max_prompt_tokens;
  options.fields = {data.prompt_field, data.messages_field, data.answer_field, data.id_field};
  options.answer_extraction = data.answer_extraction;
  PromptSources sources;
  sources.train = load_prompt_file(data.path, options);
  if (!data.eval_path.empty()) sources.eval = load_prompt_file(data.eval_path, options);
  return sources;
}

}  // namespace spct::data
