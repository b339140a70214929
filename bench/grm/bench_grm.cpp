// Throughput of the GRM critique pass at the text level, without a model: how many sampled critiques per second
// the reward worker can parse and vote on, so that the text machinery is never the bottleneck next to generation.
//   1. parse:         parse_scores over realistic critiques (~2 KB of principles and analysis, then the box)
//   2. parse + vote:  groups of n = 8 responses, k = 8 critiques each, voting@k
//   3. full pass:     GroupScorer end to end (render k shuffled prompts per group, parse, vote) with a sampler
//                     that returns canned critiques, i.e. everything but the model
// Usage: spct_bench_grm [seconds per measurement, default 1]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "workers/reward/grm/group_scorer.h"
#include "workers/reward/grm/score_parser.h"
#include "workers/reward/grm/voting.h"

namespace {

using Clock = std::chrono::steady_clock;

// A critique as DeepSeek-GRM writes it: principles, a long analysis, the boxed scores in shown order.
std::string make_critique(const std::vector<int>& scores, int variant) {
  std::string text =
      "Specific Criteria:\n1. Instruction adherence (30%): does it answer the question asked?\n"
      "2. Correctness (30%): are the steps and the final value right?\n"
      "3. Clarity (20%): is the reasoning easy to follow?\n4. Brevity (20%): no padding.\n\n"
      "Analysis:\n";
  for (size_t i = 0; i < scores.size(); ++i) {
    text += "- **Response " + std::to_string(i + 1) +
            "**: The response restates the problem, sets up the equation and solves it step by step. Variant " +
            std::to_string(variant) + " of the reasoning is checked line by line against the criteria above; " +
            "minor issues in presentation lower its clarity.\n";
  }
  text += "\n### Output\n**Scores:** \\boxed{";
  for (size_t i = 0; i < scores.size(); ++i) text += (i ? ", " : "") + std::to_string(scores[i]);
  return text + "}\n";
}

std::vector<int> scores_for(int n, int seed) {
  std::vector<int> scores;
  for (int i = 0; i < n; ++i) scores.push_back(1 + (seed * 7 + i * 3) % 10);
  return scores;
}

// Runs `body` (which processes `per_call` critiques) until `seconds` pass; prints critiques/s.
template <class Body>
void measure(const char* name, double seconds, double per_call, double bytes_per_call, Body body) {
  long calls = 0;
  long checksum = 0;
  const auto start = Clock::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    checksum += body();
    ++calls;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  }
  const double critiques = calls * per_call / elapsed;
  std::printf("%-44s %12.0f critiques/s  %8.1f MB/s  (checksum %ld)\n", name, critiques,
              calls * bytes_per_call / elapsed / 1e6, checksum);
}

class CannedSampler : public spct::grm::CritiqueSampler {
 public:
  explicit CannedSampler(std::vector<std::string> texts) : texts_(std::move(texts)) {}
  std::vector<std::string> generate(const std::vector<std::string>& prompts, double) override {
    std::vector<std::string> out;
    out.reserve(prompts.size());
    for (size_t i = 0; i < prompts.size(); ++i) out.push_back(texts_[i % texts_.size()]);
    return out;
  }

 private:
  std::vector<std::string> texts_;
};

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 1.0;
  constexpr int kResponses = 8;
  constexpr int kSamples = 8;
  constexpr int kGroups = 16;

  std::vector<std::string> critiques;
  double bytes = 0;
  for (int i = 0; i < kSamples * kGroups; ++i) {
    critiques.push_back(make_critique(scores_for(kResponses, i), i));
    bytes += static_cast<double>(critiques.back().size());
  }
  std::printf("critique length %.0f bytes, n = %d responses, k = %d critiques per group\n",
              bytes / static_cast<double>(critiques.size()), kResponses, kSamples);
  const spct::grm::ScoreSpec spec{kResponses, 1, 10};

  measure("parse", seconds, static_cast<double>(critiques.size()), bytes, [&] {
    long sum = 0;
    for (const std::string& c : critiques) sum += spct::grm::parse_scores(c, spec).scores[0];
    return sum;
  });

  std::vector<std::vector<int>> orders;
  for (int s = 0; s < kSamples; ++s) orders.push_back(spct::grm::shuffled_order(kResponses, static_cast<uint64_t>(s)));
  measure("parse + vote@8", seconds, static_cast<double>(critiques.size()), bytes, [&] {
    long sum = 0;
    for (int g = 0; g < kGroups; ++g) {
      std::vector<spct::grm::SampleVote> samples;
      for (int s = 0; s < kSamples; ++s) {
        samples.push_back({orders[static_cast<size_t>(s)],
                           spct::grm::parse_scores(critiques[static_cast<size_t>(g * kSamples + s)], spec)});
      }
      sum += static_cast<long>(spct::grm::vote(samples, kResponses, spct::grm::VoteOptions{}).totals[0]);
    }
    return sum;
  });

  const spct::grm::PromptTemplate prompt(spct::grm::PromptOptions::from_config(spct::config::GrmSection{}));
  CannedSampler sampler(critiques);
  spct::grm::ScorerOptions options;
  options.samples = kSamples;
  const spct::grm::GroupScorer scorer(prompt, options, sampler);
  const std::string query =
      "A train leaves at 3 pm at 80 km/h; a second leaves at 4 pm at 100 km/h. When does "
      "the second catch up? Show your work.";
  std::vector<std::string> responses;
  for (int i = 0; i < kResponses; ++i) {
    responses.push_back("Let t be hours after 4 pm. 80 (t + 1) = 100 t, so 20 t = 80 and t = 4: at 8 pm. (v" +
                        std::to_string(i) + ")");
  }
  std::vector<spct::grm::GroupInput> groups(kGroups);
  for (auto& group : groups) {
    group.query = query;
    for (const std::string& r : responses) group.responses.push_back(r);
  }
  uint64_t seed = 0;
  measure("full pass (render + parse + vote@8)", seconds, static_cast<double>(kGroups * kSamples), bytes, [&] {
    long sum = 0;
    for (const auto& score : scorer.score(groups, seed++)) sum += static_cast<long>(score.totals[0]);
    return sum;
  });
  return 0;
}
