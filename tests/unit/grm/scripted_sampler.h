// Test inputs for the critique pass: samplers that write critiques the way a GRM does, from the prompt they
// are given. They are the input to the code under test (its real parser and voting run on their text).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "workers/reward/grm/group_scorer.h"

namespace spct::grm::testing {

// The responses of a rendered prompt, in the order shown.
inline std::vector<std::string> shown_responses(const std::string& prompt) {
  std::vector<std::string> out;
  for (int i = 1;; ++i) {
    const std::string begin = "[The Begin of Response " + std::to_string(i) + "]\n";
    const std::string end = "\n[The End of Response " + std::to_string(i) + "]";
    const size_t b = prompt.find(begin);
    if (b == std::string::npos) return out;
    const size_t e = prompt.find(end, b);
    out.push_back(prompt.substr(b + begin.size(), e - b - begin.size()));
  }
}

// The number after "quality=" in a response.
inline int quality_of(const std::string& response) {
  return std::stoi(response.substr(response.find("quality=") + 8));
}

// A sampler that writes, for each prompt, the critique `write(prompt, index_in_batch)`, and records its calls.
class ScriptedSampler : public CritiqueSampler {
 public:
  explicit ScriptedSampler(std::function<std::string(const std::string&, size_t)> write) : write_(std::move(write)) {}

  std::vector<std::string> generate(const std::vector<std::string>& prompts, double temperature) override {
    ++calls;
    last_temperature = temperature;
    seen_prompts.insert(seen_prompts.end(), prompts.begin(), prompts.end());
    std::vector<std::string> out;
    for (size_t i = 0; i < prompts.size(); ++i) out.push_back(write_(prompts[i], i));
    return out;
  }

  int calls = 0;
  double last_temperature = -1;
  std::vector<std::string> seen_prompts;

 private:
  std::function<std::string(const std::string&, size_t)> write_;
};

// A critique in the GRM's format that scores every shown response by its quality=N tag.
inline std::string honest_critique(const std::string& prompt) {
  std::string boxed;
  for (const std::string& response : shown_responses(prompt)) {
    boxed += (boxed.empty() ? "" : ", ") + std::to_string(quality_of(response));
  }
  return "Specific Criteria: Correctness (60%), Clarity (40%).\nAnalysis: each response judged on its own merits.\n"
         "### Output\n**Scores:** \\boxed{" +
         boxed + "}\n";
}

}  // namespace spct::grm::testing
