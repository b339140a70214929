#include "orchestrator/data/preference_prompts.h"

#include "core/error.h"
#include "core/sha256.h"
#include "orchestrator/data/deterministic_random.h"
#include "workers/reward/grm/critique_judge.h"
#include "workers/reward/grm/oracle_critique.h"
#include "workers/reward/grm/voting.h"

namespace spct::data {
namespace {

constexpr uint64_t kOrderSalt = 0x6f72646572ULL;  // "order": apart from the items' own draws

void check_lengths(const PromptSource& source, uint64_t count, const TokenCounter& count_tokens,
                   const config::DataSection& data) {
  for (uint64_t i = 0; i < count && i < source.size(); ++i) {
    const PromptItem item = source.at(i);
    const int64_t tokens = count_tokens(item);
    if (tokens > data.max_prompt_tokens) {
      throw UsageError("GRM prompt of item " + item.id + " has " + std::to_string(tokens) +
                       " tokens, more than data.max_prompt_tokens = " + std::to_string(data.max_prompt_tokens) +
                       " (raise it, or use grm.template compact)");
    }
  }
}

}  // namespace

PreferencePrompts::PreferencePrompts(std::shared_ptr<const SyntheticPreferences> items, grm::PromptOptions prompt,
                                     uint64_t seed)
    : synthetic_(std::move(items)), fingerprint_(synthetic_->fingerprint()), prompt_(std::move(prompt)), seed_(seed) {}

PreferencePrompts::PreferencePrompts(std::vector<grm::PreferenceItem> items, std::string fingerprint,
                                     grm::PromptOptions prompt, uint64_t seed)
    : items_(std::move(items)), fingerprint_(std::move(fingerprint)), prompt_(std::move(prompt)), seed_(seed) {
  if (items_.empty()) throw InputError("preference data " + fingerprint_ + " has no items");
}

uint64_t PreferencePrompts::size() const {
  return synthetic_ ? synthetic_->size() : items_.size();
}

grm::PreferenceItem PreferencePrompts::item(uint64_t index) const {
  return synthetic_ ? synthetic_->at(index) : items_.at(index);
}

std::vector<int> PreferencePrompts::order_for(uint64_t index, size_t responses) const {
  return grm::shuffled_order(static_cast<int>(responses), mix_keys(seed_, kOrderSalt, index));
}

std::vector<int> PreferencePrompts::shown_order(uint64_t index) const {
  return order_for(index, item(index).responses.size());
}

PromptItem PreferencePrompts::at(uint64_t index) const {
  const grm::PreferenceItem labelled = item(index);
  const std::vector<int> order = order_for(index, labelled.responses.size());
  PromptItem out;
  out.id = synthetic_ ? "preference/" + labelled.where.substr(labelled.where.find(' ') + 1) : labelled.where;
  out.prompt = grm::render_item_prompt(prompt_, labelled, order);
  out.answer = grm::oracle_critique(prompt_, labelled, order);
  return out;
}

std::string PreferencePrompts::fingerprint() const {
  const grm::PromptOptions& options = prompt_.options();
  const std::string form = options.principles_in_critique ? "compact_principles" : options.compact ? "compact" : "full";
  return "grm prompts (" + form + ", order seed " + std::to_string(seed_) + ") of " + fingerprint_;
}

PreferenceSources make_preference_sources(const config::Config& config, const TokenCounter& count_tokens) {
  const config::DataSection& data = config.data;
  const grm::PromptOptions prompt = grm::PromptOptions::from_config(config.grm);
  const auto seed = static_cast<uint64_t>(config.run.seed);
  PreferenceSources sources;
  if (data.task == config::DataTask::kPreference) {
    const PreferenceTaskOptions options = preference_task_options(data);
    const auto eval_size = static_cast<uint64_t>(data.eval_size);
    sources.train = std::make_shared<PreferencePrompts>(
        std::make_shared<SyntheticPreferences>(options, Split::kTrain, seed, eval_size), prompt, seed);
    sources.eval = std::make_shared<PreferencePrompts>(
        std::make_shared<SyntheticPreferences>(options, Split::kEval, seed, eval_size), prompt, seed);
    if (count_tokens) {
      check_lengths(*sources.train, kLengthCheckItems, count_tokens, data);
      check_lengths(*sources.eval, sources.eval->size(), count_tokens, data);
    }
    return sources;
  }
  const auto load = [&](const std::string& path) {
    std::shared_ptr<const PreferencePrompts> source = std::make_shared<PreferencePrompts>(
        grm::load_preference_jsonl(path), "preference jsonl sha256=" + sha256_file_hex(path), prompt, seed);
    if (count_tokens) check_lengths(*source, source->size(), count_tokens, data);
    return source;
  };
  sources.train = load(data.path);
  if (!data.eval_path.empty()) sources.eval = load(data.eval_path);
  return sources;
}

}  // namespace spct::data
