// Throughput of the rule-based rewards (samples scored per second, one thread) and of the prompt sources.
// Usage: spct_bench_rewards [seconds per case, default 0.5]
//
// Two completion shapes: "short" is what the built-in tasks produce ("13\n", 3 tokens); "long" is a ~2 KB
// chain of thought ending in an answer, the shape of math RL completions.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "orchestrator/data/jsonl_dataset.h"
#include "orchestrator/data/prompt_stream.h"
#include "orchestrator/data/synthetic_task.h"
#include "workers/reward/rules/combined_reward.h"
#include "workers/reward/rules/exact_match.h"
#include "workers/reward/rules/numeric_match.h"
#include "workers/reward/rules/overlong_penalty.h"
#include "workers/reward/rules/pattern_rewards.h"

namespace {

using namespace spct::reward;
using Clock = std::chrono::steady_clock;

// Runs `body` (which does `batch` operations and returns a checksum) until `seconds` have passed.
void measure(const std::string& name, double seconds, int64_t batch, const std::function<double()>& body) {
  double checksum = 0;
  int64_t operations = 0;
  const auto start = Clock::now();
  std::chrono::duration<double> elapsed{};
  do {
    checksum += body();
    operations += batch;
    elapsed = Clock::now() - start;
  } while (elapsed.count() < seconds);
  const double per_second = static_cast<double>(operations) / elapsed.count();
  std::printf("%-34s %14.0f /s %10.1f ns each   (checksum %.0f)\n", name.c_str(), per_second, 1e9 / per_second,
              checksum);
}

std::string long_completion(const std::string& answer_line) {
  std::string text = "<think>\n";
  for (int i = 0; text.size() < 2000; ++i) {
    text += "Step " + std::to_string(i) + ": we add 1,234 to the running total and check the units digit again.\n";
  }
  return text + "</think>\n" + answer_line;
}

void bench_functions(double seconds, const std::string& shape, const std::vector<std::string>& completions,
                     const std::string& reference, AnswerFormat format) {
  std::vector<RewardInput> inputs;
  for (const auto& completion : completions) {
    inputs.push_back({"12+7=", completion, reference, static_cast<int64_t>(completion.size() / 4), false});
  }
  const auto run = [&](const std::string& name, const RewardFunction& function) {
    measure(name + " (" + shape + ")", seconds, static_cast<int64_t>(inputs.size()), [&] {
      double sum = 0;
      for (const auto& input : inputs) sum += function.score(input);
      return sum;
    });
  };
  run("exact_match", ExactMatch(format, {}, {false, true}));
  run("numeric_match", NumericMatch(format, {}, {}));
  run("regex", RegexReward("answer: \\\\boxed\\{-?[0-9]+\\}", "reward.regex"));
  run("format", FormatReward("<think>.*</think>.*", "reward.format_pattern"));
  run("overlong", OverlongPenalty(1024, 256));

  spct::reward::RuleOptions options;
  options.answer_format = format;
  options.format_pattern = "<think>.*</think>.*";
  options.max_new_tokens = 1024;
  options.overlong_buffer = 256;
  const auto combined = CombinedReward::make({"exact_match", "format", "overlong"}, {}, options);
  measure("combined exact+format+overlong (" + shape + ")", seconds, static_cast<int64_t>(inputs.size()), [&] {
    double sum = 0;
    for (const auto& input : inputs) sum += combined.score(input).total;
    return sum;
  });
}

// Loads a JSONL file of `lines` prompts written to the temp directory, and reports lines per second.
void bench_jsonl(int lines) {
  const std::string path = (std::filesystem::temp_directory_path() / "spct-bench-rewards.jsonl").string();
  {
    std::ofstream out(path);
    for (int i = 0; i < lines; ++i) {
      out << "{\"id\": " << i << ", \"messages\": [{\"role\": \"user\", \"content\": \"What is " << i
          << " + 17? Answer with the number only.\"}], \"answer\": \"" << i + 17 << "\"}\n";
    }
  }
  const auto start = Clock::now();
  const auto dataset = spct::data::JsonlDataset::load(path);
  const std::chrono::duration<double> elapsed = Clock::now() - start;
  std::printf("%-34s %14.0f /s (%zu lines in %.3f s, digest included)\n", "jsonl load", lines / elapsed.count(),
              static_cast<size_t>(dataset->size()), elapsed.count());
  std::filesystem::remove(path);
}

void bench_data(double seconds) {
  using namespace spct::data;
  for (const TaskKind kind : {TaskKind::kAdd, TaskKind::kReverse, TaskKind::kCount}) {
    const auto task = std::make_shared<SyntheticTask>(TaskOptions{kind, 9, 3}, Split::kTrain, 1, 64);
    PromptStream stream(task, 1, true);
    measure("task " + spct::config::to_string(kind) + " items", seconds, 1000, [&] {
      double sum = 0;
      for (int i = 0; i < 1000; ++i) sum += static_cast<double>(stream.next().answer.size());
      return sum;
    });
  }
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 0.5;
  std::vector<std::string> short_completions;
  std::vector<std::string> long_completions;
  for (int i = 0; i < 32; ++i) {
    short_completions.push_back(std::to_string(10 + i % 12) + "\n");
    long_completions.push_back(long_completion("answer: \\boxed{" + std::to_string(10 + i % 12) + "}"));
  }
  std::printf("rule rewards, one thread, %.1f s per case\n", seconds);
  bench_functions(seconds, "short", short_completions, "19", AnswerFormat::kLine);
  bench_functions(seconds, "long", long_completions, "19", AnswerFormat::kBoxed);
  std::printf("prompt sources\n");
  bench_data(seconds);
  bench_jsonl(100000);
  return 0;
}
