#include "orchestrator/data/synthetic_task.h"

#include <algorithm>

#include "core/error.h"
#include "orchestrator/data/deterministic_random.h"

namespace spct::data {

namespace {

// Salts that keep the streams of the two splits and the partition hash independent of each other.
constexpr uint64_t kTrainSalt = 0x747261696eULL;  // "train"
constexpr uint64_t kEvalSalt = 0x6576616cULL;     // "eval"
constexpr uint64_t kEvalSeed = 0x5350435445ULL;   // fixed: every run evaluates on the same prompts
constexpr uint64_t kPartitionSalt = 0x7061727469ULL;
constexpr uint64_t kEvalOneIn = 10;
// Rejection sampling stops here. With one problem in ten in the eval partition this is never reached unless a
// partition is empty, which the constructor reports as a config error.
constexpr int kMaxDraws = 10000;
constexpr std::string_view kLetters = "abcde";

std::string random_letters(SplitMix64& rng, int64_t max_length) {
  std::string s(static_cast<size_t>(rng.between(1, max_length)), ' ');
  for (char& c : s) c = kLetters[rng.below(kLetters.size())];
  return s;
}

}  // namespace

TaskKind parse_task_kind(const std::string& name) {
  if (name == "add") return TaskKind::kAdd;
  if (name == "reverse") return TaskKind::kReverse;
  if (name == "count") return TaskKind::kCount;
  throw UsageError("data.task: unknown task \"" + name + "\" (choose add, reverse or count)");
}

std::string task_name(TaskKind kind) {
  switch (kind) {
    case TaskKind::kAdd: return "add";
    case TaskKind::kReverse: return "reverse";
    case TaskKind::kCount: return "count";
  }
  return "unknown";
}

TaskOptions task_options(const config::DataSection& data) {
  return {parse_task_kind(data.task), data.max_operand, data.max_length};
}

SyntheticTask::SyntheticTask(TaskOptions options, Split split, uint64_t seed, uint64_t eval_size)
    : options_(options), split_(split), seed_(seed), eval_size_(eval_size) {
  if (options_.max_operand < 1) throw UsageError("data.max_operand must be at least 1");
  if (options_.max_length < 1) throw UsageError("data.max_length must be at least 1");
  if (split_ == Split::kEval && eval_size_ == 0) throw UsageError("data.eval_size must be at least 1");
  // Drawing the first item proves the partition this split needs is not empty (see kMaxDraws).
  static_cast<void>(at(0));
}

uint64_t SyntheticTask::size() const {
  return split_ == Split::kTrain ? kUnbounded : eval_size_;
}

bool SyntheticTask::in_eval_partition(const std::string& prompt) {
  return hash_text(prompt, kPartitionSalt) % kEvalOneIn == 0;
}

PromptItem SyntheticTask::draw(uint64_t seed) const {
  SplitMix64 rng(seed);
  PromptItem item;
  switch (options_.kind) {
    case TaskKind::kAdd: {
      const int64_t a = rng.between(0, options_.max_operand);
      const int64_t b = rng.between(0, options_.max_operand);
      item.prompt = std::to_string(a) + "+" + std::to_string(b) + "=";
      item.answer = std::to_string(a + b);
      break;
    }
    case TaskKind::kReverse: {
      const std::string s = random_letters(rng, options_.max_length);
      item.prompt = s + ">";
      item.answer = std::string(s.rbegin(), s.rend());
      break;
    }
    case TaskKind::kCount: {
      const std::string s = random_letters(rng, options_.max_length);
      // Half the time the letter is one of the string's own: uniform letters would make "0" the answer to most
      // short prompts, and a policy could score well by always saying it.
      const char letter = rng.below(2) == 0 ? s[rng.below(s.size())] : kLetters[rng.below(kLetters.size())];
      item.prompt = std::string(1, letter) + ":" + s + "=";
      item.answer = std::to_string(std::count(s.begin(), s.end(), letter));
      break;
    }
  }
  return item;
}

PromptItem SyntheticTask::at(uint64_t index) const {
  const bool eval = split_ == Split::kEval;
  const uint64_t base = eval ? mix_keys(kEvalSeed, kEvalSalt, index) : mix_keys(seed_, kTrainSalt, index);
  for (int attempt = 0; attempt < kMaxDraws; ++attempt) {
    PromptItem item = draw(mix_keys(base, static_cast<uint64_t>(attempt)));
    if (in_eval_partition(item.prompt) != eval) continue;
    item.id = task_name(options_.kind) + (eval ? "/eval/" : "/train/") + std::to_string(index);
    return item;
  }
  const std::string key = options_.kind == TaskKind::kAdd ? "data.max_operand" : "data.max_length";
  throw UsageError("data.task " + task_name(options_.kind) + ": " + key +
                   " is too small to split problems into disjoint train and eval sets; raise it");
}

PromptItem SyntheticTask::longest_prompt() const {
  const std::string letters(static_cast<size_t>(options_.max_length), kLetters[0]);
  const std::string operand = std::to_string(options_.max_operand);
  switch (options_.kind) {
    case TaskKind::kAdd:
      return {"longest", operand + "+" + operand + "=", {}, std::to_string(2 * options_.max_operand)};
    case TaskKind::kReverse: return {"longest", letters + ">", {}, letters};
    case TaskKind::kCount: return {"longest", std::string(1, kLetters[0]) + ":" + letters + "=", {}, "0"};
  }
  return {};
}

std::string SyntheticTask::fingerprint() const {
  std::string text = "task=" + task_name(options_.kind);
  text += options_.kind == TaskKind::kAdd ? " max_operand=" + std::to_string(options_.max_operand)
                                          : " max_length=" + std::to_string(options_.max_length);
  if (split_ == Split::kTrain) return text + " split=train seed=" + std::to_string(seed_);
  return text + " split=eval size=" + std::to_string(eval_size_);
}

}  // namespace spct::data
