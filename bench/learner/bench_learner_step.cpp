// One whole GRPO learner step (GrpoLearner::step: pi_old and reference log-probs, forward, loss, backward,
// AdamW) on a random model and a fixed batch, and the process's peak resident memory. Run one shape per process
// so that the peak belongs to that shape:
//
//   spct_bench_learner_step SHAPE [threads] [steps] [dtype] [prompts]
//     SHAPE  grpo_add: configs/grpo_add.yaml's policy (2 layers, width 64, 16-token vocabulary), 8 groups of 8
//                      completions of 6 tokens after 8-token prompts
//            large:    4 layers, width 256, 32768-token vocabulary, 2 groups of 8 completions of 256 tokens
//                      after 64-token prompts (4096 completion tokens: 0.5 GB of float32 logits)
//            qwen0.5b: Qwen2.5-0.5B's shape (24 layers, width 896, 151936-token vocabulary, tied embeddings), 2
//                      groups of 4 completions of up to 16 tokens after 64-token prompts: the learner side of
//                      bench/grpo_step/compare_trl.py's GRPO step
//     threads (default 1), steps (default 5; the first is a warm-up, the median of the rest is reported),
//     dtype float32 (default) or bfloat16, prompts `padded` (default) or `shared` (grpo.share_prompts).
//
// Only the learner's public API is used, so the same file builds against older versions for comparisons (without
// the `shared` mode before grpo.share_prompts).
#include <ATen/Parallel.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "learner/grpo_learner.h"
#include "models/model_config.h"
#include "orchestrator/run/keep_freed_memory.h"

namespace {

struct Shape {
  int64_t hidden, layers, heads, kv_heads, intermediate, vocab;
  int64_t groups, group_size, prompt_tokens, completion_tokens;
};

spct::learner::LearnerBatch make_batch(const Shape& s) {
  spct::learner::LearnerBatch batch;
  batch.group_size = s.group_size;
  uint64_t state = 12345;
  const auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<int64_t>((state >> 33) % static_cast<uint64_t>(s.vocab));
  };
  for (int64_t g = 0; g < s.groups; ++g) {
    std::vector<int64_t> prompt;
    for (int64_t t = 0; t < s.prompt_tokens; ++t) prompt.push_back(next());
    for (int64_t i = 0; i < s.group_size; ++i) {
      // Lengths vary within the group (the last completion of each group is full length and truncated).
      const int64_t length = i + 1 == s.group_size
                                 ? s.completion_tokens
                                 : s.completion_tokens - (i * s.completion_tokens) / (2 * s.group_size);
      std::vector<int64_t> completion;
      for (int64_t t = 0; t < length; ++t) completion.push_back(next());
      batch.prompts.push_back(prompt);
      batch.completions.push_back(completion);
      batch.rewards.push_back(static_cast<double>(i % 3));
      batch.truncated.push_back(i + 1 == s.group_size);
    }
  }
  return batch;
}

}  // namespace

int main(int argc, char** argv) {
  // As spct's processes run (orchestrator/main.cpp): freed tensors are reused, not page-faulted in afresh each step.
  spct::run::keep_freed_memory();
  const std::string name = argc > 1 ? argv[1] : "";
  const int threads = argc > 2 ? std::atoi(argv[2]) : 1;
  const int steps = argc > 3 ? std::atoi(argv[3]) : 5;
  const std::string dtype = argc > 4 ? argv[4] : "float32";
  const std::string prompts = argc > 5 ? argv[5] : "padded";
  Shape shape{};
  if (name == "grpo_add") {
    shape = {64, 2, 4, 2, 128, 16, 8, 8, 8, 6};
  } else if (name == "large") {
    shape = {256, 4, 8, 2, 768, 32768, 2, 8, 64, 256};
  } else if (name == "qwen0.5b") {
    shape = {896, 24, 14, 2, 4864, 151936, 2, 4, 64, 16};
  } else {
    std::fprintf(stderr,
                 "usage: %s grpo_add|large|qwen0.5b [threads] [steps >= 2] [float32|bfloat16] [padded|shared]\n",
                 argv[0]);
    return 2;
  }
  const std::optional<spct::config::ModelDType> model_dtype =
      spct::config::from_string<spct::config::ModelDType>(dtype);
  if (threads < 1 || steps < 2 || !model_dtype || (prompts != "padded" && prompts != "shared")) return 2;
  at::set_num_threads(threads);

  spct::config::Config config;
  config.model.hidden_size = shape.hidden;
  config.model.num_layers = shape.layers;
  config.model.num_heads = shape.heads;
  config.model.num_kv_heads = shape.kv_heads;
  config.model.intermediate_size = shape.intermediate;
  config.model.max_position = shape.prompt_tokens + shape.completion_tokens + 8;
  config.model.dtype = *model_dtype;
  config.rollout.group_size = shape.group_size;
  config.rollout.max_new_tokens = shape.completion_tokens;
  config.grpo.overlong_filter = true;
  config.grpo.share_prompts = prompts == "shared";
  spct::models::Transformer policy(spct::models::from_section(config.model, shape.vocab), 1);
  spct::learner::GrpoLearner learner(spct::learner::grpo_learner_options(config), policy, nullptr);
  const spct::learner::LearnerBatch batch = make_batch(shape);

  std::vector<double> seconds;
  for (int step = 0; step < steps; ++step) {
    const auto start = std::chrono::steady_clock::now();
    learner.step(batch, step);
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  seconds.erase(seconds.begin());
  std::sort(seconds.begin(), seconds.end());
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf(
      "learner step %s (%s, %s prompts, %d thread(s)): median %.4f s over %zu steps (min %.4f); peak RSS %.0f MB\n",
      name.c_str(), dtype.c_str(), prompts.c_str(), threads, seconds[seconds.size() / 2], seconds.size(),
      seconds.front(), static_cast<double>(usage.ru_maxrss) / 1024.0);
  return 0;
}
