// Inputs for the GRM reward tests: a sampler that writes critiques the way a GRM does (the code under test
// parses and votes on its text), a meta RM with fixed ratings, and a reward request built from texts.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/protocol/messages.h"
#include "models/tokenizer/char_tokenizer.h"
#include "workers/reward/grm/group_scorer.h"

namespace spct::reward::testing {

// The responses of a rendered GRM prompt, in the order shown.
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

// "Scores: \boxed{a, b, ...}" after the principles and analysis lines a GRM writes.
inline std::string critique_with_scores(const std::vector<int>& shown_scores) {
  std::string boxed;
  for (const int s : shown_scores) boxed += (boxed.empty() ? "" : ", ") + std::to_string(s);
  return "Specific Criteria: Correctness (70%), Clarity (30%).\nAnalysis: checked each answer.\nScores: \\boxed{" +
         boxed + "}";
}

// Writes critique `write(prompt, index in the batch)` for every prompt and records its calls.
class ScriptedSampler : public grm::CritiqueSampler {
 public:
  explicit ScriptedSampler(std::function<std::string(const std::string&, size_t)> write,
                           std::vector<std::string>* written = nullptr)
      : write_(std::move(write)), written_(written) {}

  std::vector<std::string> generate(const std::vector<std::string>& prompts, double temperature) override {
    ++*calls_;
    *temperature_ = temperature;
    std::vector<std::string> out;
    for (size_t i = 0; i < prompts.size(); ++i) out.push_back(write_(prompts[i], i));
    if (written_ != nullptr) written_->insert(written_->end(), out.begin(), out.end());
    return out;
  }

  // Shared with the test, which no longer holds the sampler once the reward owns it.
  std::shared_ptr<int> calls_ = std::make_shared<int>(0);
  std::shared_ptr<double> temperature_ = std::make_shared<double>(-1);

 private:
  std::function<std::string(const std::string&, size_t)> write_;
  std::vector<std::string>* written_;
};

// A meta RM that gives the critique at batch index i the rating ratings[i].
class FixedRater : public grm::CritiqueRater {
 public:
  explicit FixedRater(std::vector<double> ratings) : ratings_(std::move(ratings)) {}
  std::vector<double> rate(const std::vector<std::string>& prompts, const std::vector<std::string>&) override {
    return std::vector<double>(ratings_.begin(), ratings_.begin() + static_cast<std::ptrdiff_t>(prompts.size()));
  }

 private:
  std::vector<double> ratings_;
};

// A reward request whose completions are `texts` in the char tokenizer's ids.
inline protocol::RewardRequest request_for(const std::string& prompt, const std::vector<std::string>& texts,
                                           const std::string& answer, uint64_t step, uint64_t prompt_id) {
  const tokenizer::CharTokenizer tokenizer;
  protocol::RewardRequest request;
  request.prompt_text = prompt;
  request.answer = answer;
  request.step = step;
  request.prompt_id = prompt_id;
  for (const std::string& text : texts) request.completions.push_back({tokenizer.encode(text)});
  return request;
}

}  // namespace spct::reward::testing
