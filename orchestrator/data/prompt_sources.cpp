#include "orchestrator/data/prompt_sources.h"

#include <utility>

#include "core/error.h"
#include "orchestrator/data/synthetic_task.h"

namespace spct::data {

PromptSources make_prompt_sources(const config::Config& config, JsonlOptions jsonl) {
  const config::DataSection& data = config.data;
  if (data.task.empty() == data.path.empty()) {
    throw UsageError(data.task.empty() ? "set data.task (a built-in task) or data.path (a JSONL file)"
                                       : "data.task and data.path are both set: choose one");
  }
  PromptSources sources;
  if (!data.task.empty()) {
    const TaskOptions options = task_options(data);
    const auto seed = static_cast<uint64_t>(config.run.seed);
    const auto eval_size = static_cast<uint64_t>(data.eval_size);
    sources.train = std::make_shared<SyntheticTask>(options, Split::kTrain, seed, eval_size);
    sources.eval = std::make_shared<SyntheticTask>(options, Split::kEval, seed, eval_size);
    return sources;
  }
  jsonl.max_prompt_tokens = data.max_prompt_tokens;
  sources.train = JsonlDataset::load(data.path, jsonl);
  if (!data.eval_path.empty()) sources.eval = JsonlDataset::load(data.eval_path, jsonl);
  return sources;
}

}  // namespace spct::data
