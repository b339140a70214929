#include "orchestrator/data/synthetic_task.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

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

TaskOptions task_options(const config::DataSection& data) {
  const std::optional<TaskKind> kind = config::synthetic_task(data.task);
  if (!kind) throw UsageError("data.task \"" + config::to_string(data.task) + "\" is no built-in task of prompts");
  return {*kind, data.max_operand, data.max_length};
}

SyntheticTask::SyntheticTask(TaskOptions options, Split split, uint64_t seed, uint64_t eval_size)
    : options_(options), split_(split), seed_(seed), eval_size_(eval_size) {
  if (options_.max_operand < 1) throw UsageError("data.max_operand must be at least 1");
  if (options_.max_length < 1) throw UsageError("data.max_length must be at least 1");
  if (options_.kind == TaskKind::kTally && options_.max_length < 2) {
    throw UsageError("data.max_length must be at least 2 for task tally (its answers are 0..max_length-1)");
  }
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

PromptItem SyntheticTask::draw(uint64_t seed, uint64_t answer_seed) const {
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
    case TaskKind::kTally: {
      // The answer is drawn first, from the item's seed, and the string built around it, so answers are uniform
      // whatever the length (drawing letters first would make the counts binomial, mostly 1 or 2). Redraws for
      // the partition keep the answer: a hash partition would otherwise skew answers with few problems.
      // The count stops at max_length - 1: max_length copies of one letter are only 5 problems, too few to
      // give the eval partition one.
      const auto length = static_cast<size_t>(options_.max_length);
      const auto count = static_cast<size_t>(SplitMix64(answer_seed).below(length));
      const size_t letter_index = rng.below(kLetters.size());
      std::string s(length, ' ');
      for (char& c : s) {
        const size_t other = rng.below(kLetters.size() - 1);  // any letter but the counted one
        c = kLetters[other < letter_index ? other : other + 1];
      }
      // The first `count` of a seeded permutation of the positions get the letter.
      std::vector<size_t> positions(length);
      for (size_t i = 0; i < length; ++i) positions[i] = i;
      for (size_t i = length; i > 1; --i) std::swap(positions[i - 1], positions[rng.below(i)]);
      for (size_t i = 0; i < count; ++i) s[positions[i]] = kLetters[letter_index];
      item.prompt = std::string(1, kLetters[letter_index]) + ":" + s + "=";
      item.answer = std::to_string(count);
      break;
    }
  }
  return item;
}

PromptItem SyntheticTask::at(uint64_t index) const {
  const bool eval = split_ == Split::kEval;
  const uint64_t base = eval ? mix_keys(kEvalSeed, kEvalSalt, index) : mix_keys(seed_, kTrainSalt, index);
  for (int attempt = 0; attempt < kMaxDraws; ++attempt) {
    PromptItem item = draw(mix_keys(base, static_cast<uint64_t>(attempt)), base);
    if (in_eval_partition(item.prompt) != eval) continue;
    item.id = config::to_string(options_.kind) + (eval ? "/eval/" : "/train/") + std::to_string(index);
    return item;
  }
  const std::string key = options_.kind == TaskKind::kAdd ? "data.max_operand" : "data.max_length";
  throw UsageError("data.task " + config::to_string(options_.kind) + ": " + key +
                   " is too small to split problems into disjoint train and eval sets; raise it");
}

PromptItem SyntheticTask::longest_prompt() const {
  const std::string letters(static_cast<size_t>(options_.max_length), kLetters[0]);
  const std::string operand = std::to_string(options_.max_operand);
  switch (options_.kind) {
    case TaskKind::kAdd:
      return {"longest", operand + "+" + operand + "=", {}, std::to_string(2 * options_.max_operand)};
    case TaskKind::kReverse: return {"longest", letters + ">", {}, letters};
    case TaskKind::kCount:
    case TaskKind::kTally: return {"longest", std::string(1, kLetters[0]) + ":" + letters + "=", {}, "0"};
  }
  return {};
}

std::string SyntheticTask::fingerprint() const {
  std::string text = "task=" + config::to_string(options_.kind);
  text += options_.kind == TaskKind::kAdd ? " max_operand=" + std::to_string(options_.max_operand)
                                          : " max_length=" + std::to_string(options_.max_length);
  if (split_ == Split::kTrain) return text + " split=train seed=" + std::to_string(seed_);
  return text + " split=eval size=" + std::to_string(eval_size_);
}

}  // namespace spct::data
