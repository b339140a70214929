// Built-in tasks with verifiable answers, generated from (seed, index): nothing to download, and small enough
// that a ~100k-parameter policy learns them with GRPO on a laptop CPU.
//
//   add      "7+5="   -> "12"    operands uniform in 0..max_operand
//   reverse  "abd>"   -> "dba"   1..max_length letters from a-e
//   count    "b:abcb=" -> "2"    how often the letter before ':' occurs in 1..max_length letters from a-e
//                                 (half the time a letter of the string, so answers are not mostly "0")
//   tally    "b:abcbabb=" -> "4"  how often the letter before ':' occurs in exactly max_length letters from
//                                 a-e, the count drawn first, uniform in 0..max_length-1 in both splits: every
//                                 answer has probability 1 / max_length, so a policy that answers one
//                                 constant scores 1 / max_length (0.143 at max_length 7). Difficulty grows
//                                 with max_length (longer strings, more answers). `count` is skewed instead:
//                                 at max_length 3, 75% of its held-out answers are "1".
//
// Prompts use only printable ASCII (the built-in char tokenizer's alphabet). With the defaults (max_operand 9,
// max_length 3) every answer has 1-3 characters.
//
// Train and eval are disjoint as problems, not just as indices: a fixed hash of the prompt text puts one problem
// in ten into the eval partition, independent of the run seed. The train split draws from the rest with the
// run seed; the eval split draws from the eval partition with a fixed seed, so every run of a task evaluates
// on the same prompts. Draws are with replacement: small problem spaces repeat problems.
#pragma once

#include <cstdint>
#include <string>

#include "core/config/config.h"
#include "orchestrator/data/prompt_source.h"

namespace spct::data {

using config::TaskKind;  // config::to_string gives a task's name
enum class Split { kTrain, kEval };

struct TaskOptions {
  TaskKind kind = TaskKind::kAdd;
  int64_t max_operand = 9;  // add: operands in 0..max_operand
  int64_t max_length = 3;   // reverse, count: strings of 1..max_length letters; tally: exactly max_length (>= 2)
};

class SyntheticTask final : public PromptSource {
 public:
  // The train split is unbounded and depends on `seed`; the eval split has `eval_size` items and ignores it.
  // Throws spct::UsageError naming data.max_operand / data.max_length when the problem space is too small to
  // give both splits a problem (e.g. add with max_operand 1 has four problems).
  SyntheticTask(TaskOptions options, Split split, uint64_t seed, uint64_t eval_size);

  uint64_t size() const override;
  PromptItem at(uint64_t index) const override;
  std::string fingerprint() const override;

  // A prompt of the greatest length this task can produce, to check data.max_prompt_tokens before training.
  PromptItem longest_prompt() const;

  // Whether `prompt` belongs to the eval partition. Exposed so tests can verify disjointness.
  static bool in_eval_partition(const std::string& prompt);

 private:
  // One problem drawn from `seed`; the caller keeps drawing until it lands in the wanted partition. Task tally
  // draws its answer from `answer_seed`, the same for every redraw of an item.
  PromptItem draw(uint64_t seed, uint64_t answer_seed) const;

  const TaskOptions options_;
  const Split split_;
  const uint64_t seed_;
  const uint64_t eval_size_;
};

// The task options in `config.data`. Throws spct::UsageError naming data.task when it is no built-in task of
// prompts (empty, or preference).
TaskOptions task_options(const config::DataSection& data);

}  // namespace spct::data
