// Learner step time and peak resident memory with fixed micro-batches (grpo.micro_batch_size), a token budget
// (grpo.micro_batch_tokens) and packed sequences within that budget (grpo.packing) on a batch of mixed lengths. One
// configuration per process, so that the peak belongs to it:
//
//   spct_bench_micro_batches SHAPE MODE [threads] [steps]
//     SHAPE  tiny: 2 layers, width 64, 256-token vocabulary, 8 groups of 8 completions of 4..64 tokens after
//                  4..16-token prompts
//            mid:  4 layers, width 256, 32768-token vocabulary, 4 groups of 8 completions of 16..256 tokens
//                  after 16..64-token prompts
//     MODE   fixed:N  (N completions per pass), budget:T (at most T padded tokens per pass) or packed:T (sequences
//            packed into rows, at most T cells per pass)
//     threads (default 1), steps (default 4; the first is a warm-up, the median of the rest is reported).
// Prints one line: median step wall and CPU seconds (CPU time is the work done; wall time also counts waiting on a
// busy machine), peak RSS, the padding share and the passes per step.
//
// bench/learner/micro_batches.sh runs the three modes on both shapes with the same worst-case pass size (N rows of the
// longest sequence = T tokens) and prints the table.
#include <ATen/Parallel.h>
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "learner/grpo_learner.h"
#include "learner/grpo_learner_options.h"
#include "models/model_config.h"

namespace {

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

struct Shape {
  int64_t hidden, layers, heads, kv_heads, intermediate, vocab;
  int64_t groups, group_size, min_prompt, max_prompt, min_completion, max_completion;
};

spct::learner::LearnerBatch make_batch(const Shape& s) {
  spct::learner::LearnerBatch batch;
  batch.group_size = s.group_size;
  uint64_t state = 12345;
  const auto next = [&](int64_t below) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<int64_t>((state >> 33) % static_cast<uint64_t>(below));
  };
  for (int64_t g = 0; g < s.groups; ++g) {
    std::vector<int64_t> prompt;
    const int64_t prompt_length = s.min_prompt + next(s.max_prompt - s.min_prompt + 1);
    for (int64_t t = 0; t < prompt_length; ++t) prompt.push_back(next(s.vocab));
    for (int64_t i = 0; i < s.group_size; ++i) {
      // Lengths spread over the whole range (one in eight completions is full length and truncated).
      const bool full = next(8) == 0;
      const int64_t length = full ? s.max_completion : s.min_completion + next(s.max_completion - s.min_completion);
      std::vector<int64_t> completion;
      for (int64_t t = 0; t < length; ++t) completion.push_back(next(s.vocab));
      batch.prompts.push_back(prompt);
      batch.completions.push_back(completion);
      batch.rewards.push_back(static_cast<double>(next(3)));
      batch.truncated.push_back(full);
    }
  }
  return batch;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string name = argc > 1 ? argv[1] : "";
  const std::string mode = argc > 2 ? argv[2] : "";
  const int threads = argc > 3 ? std::atoi(argv[3]) : 1;
  const int steps = argc > 4 ? std::atoi(argv[4]) : 4;
  Shape shape{};
  if (name == "tiny") {
    shape = {64, 2, 4, 2, 128, 256, 8, 8, 4, 16, 4, 64};
  } else if (name == "mid") {
    shape = {256, 4, 8, 2, 768, 32768, 4, 8, 16, 64, 16, 256};
  }
  const std::size_t colon = mode.find(':');
  const std::string kind = mode.substr(0, colon);
  const int64_t amount = colon == std::string::npos ? 0 : std::atoll(mode.c_str() + colon + 1);
  if (shape.hidden == 0 || (kind != "fixed" && kind != "budget" && kind != "packed") || amount < 1 || threads < 1 ||
      steps < 2) {
    std::fprintf(stderr, "usage: %s tiny|mid fixed:N|budget:T|packed:T [threads] [steps >= 2]\n", argv[0]);
    return 2;
  }
  at::set_num_threads(threads);

  spct::config::Config config;
  config.model.hidden_size = shape.hidden;
  config.model.num_layers = shape.layers;
  config.model.num_heads = shape.heads;
  config.model.num_kv_heads = shape.kv_heads;
  config.model.intermediate_size = shape.intermediate;
  config.model.max_position = shape.max_prompt + shape.max_completion + 8;
  config.rollout.group_size = shape.group_size;
  config.rollout.max_new_tokens = shape.max_completion;
  config.grpo.overlong_filter = true;
  (kind == "fixed" ? config.grpo.micro_batch_size : config.grpo.micro_batch_tokens) = amount;
  config.grpo.packing = kind == "packed";
  spct::models::Transformer policy(spct::models::from_section(config.model, shape.vocab), 1);
  spct::learner::GrpoLearner learner(spct::learner::grpo_learner_options(config), policy, nullptr);
  const spct::learner::LearnerBatch batch = make_batch(shape);

  std::vector<double> seconds, cpu;
  spct::Metrics metrics;
  for (int step = 0; step < steps; ++step) {
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = cpu_seconds();
    metrics = learner.step(batch, step);
    cpu.push_back(cpu_seconds() - cpu_start);
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  seconds.erase(seconds.begin());
  cpu.erase(cpu.begin());
  std::sort(seconds.begin(), seconds.end());
  std::sort(cpu.begin(), cpu.end());
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf(
      "%s %s: median %.4f s/step wall, %.4f s CPU (%zu steps, %d thread(s)); peak RSS %.0f MB; padding %.1f%%; %.0f "
      "passes\n",
      name.c_str(), mode.c_str(), seconds[seconds.size() / 2], cpu[cpu.size() / 2], seconds.size(), threads,
      static_cast<double>(usage.ru_maxrss) / 1024.0, 100.0 * metrics.at("learner/padding_share"),
      metrics.at("learner/micro_batches"));
  return 0;
}
