// The pointwise GRM prompt (DeepSeek-GRM, paper App. G, in outline; section 1 of algorithms.md).
//
// A rendered prompt has, in order:
//   1. the instruction to act as a strict scoring expert;
//   2. "#### Evaluation Criteria ####": the principles, numbered, each with its weight as a percentage of the
//      sum of weights, then the score bands (for 1..10: 9-10 / 6-8 / 3-5 / 1-2; see score_bands());
//   3. "#### Conversation Context ####" and the query;
//   4. "#### Responses to be Scored ####" and each response between "[The Begin of Response i]" and
//      "[The End of Response i]" (i from 1, in the order given; shuffling is the caller's job, see voting.h);
//   5. "#### Output Format Requirements ####": "Specific Criteria: ...", "Analysis: ...",
//      "Scores: \boxed{s_1, ..., s_n}";
//   6. optionally, for hinted sampling in rejective fine-tuning: "The best response is: Response j".
//
// The single-response variant (training on verifiable answers) asks for one score, 1 if the response is
// correct and 0 if not, so its ScoreSpec is {1, 0, 1}.
//
// With PromptOptions::compact, render() and render_single() give compact_prompt.h's short form instead.
//
// Thread safety: a PromptTemplate is immutable after construction; render from any number of threads.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config.h"
#include "workers/reward/grm/score_parser.h"

namespace spct::grm {

struct Principle {
  std::string text;  // "Name: what it asks"
  double weight = 1;
};

// A range of scores and what it means, e.g. {9, 10, "excellent: ..."}.
struct ScoreBand {
  int low = 0;
  int high = 0;
  std::string meaning;
};

// The four quality bands of the paper spread over [score_min, score_max] in the proportions 2:3:3:2 from the
// top, which gives exactly 9-10 / 6-8 / 3-5 / 1-2 for 1..10. Bands that would be empty are left out.
// REQUIRES: score_min < score_max.
std::vector<ScoreBand> score_bands(int score_min, int score_max);

struct PromptOptions {
  std::vector<Principle> principles;
  int score_min = 1;
  int score_max = 10;
  bool compact = false;  // grm.template compact or compact_principles: render with compact_prompt.h
  // grm.template compact_principles: a compact critique first states the principle its scores follow
  // (oracle_critique.h); the prompt is the same as compact's, so a GRM with and one without principles see the
  // same inputs and differ only in what they were taught to write.
  bool principles_in_critique = false;

  // From the grm config section: principles with principle_weights (equal weights when that list is empty).
  static PromptOptions from_config(const config::GrmSection& grm);
};

class PromptTemplate {
 public:
  // Throws spct::UsageError when there is no principle, a weight is negative or they sum to 0, or
  // score_min >= score_max.
  explicit PromptTemplate(PromptOptions options);

  // The pointwise prompt for `responses` in the order given. `hint_best` (0-based, in that order) appends the
  // hint line. REQUIRES: !responses.empty(); hint_best < responses.size().
  std::string render(std::string_view query, const std::vector<std::string_view>& responses,
                     std::optional<int> hint_best = std::nullopt) const;

  // The single-response 0/1 variant.
  std::string render_single(std::string_view query, std::string_view response) const;

  // What a critique of a rendered prompt with n responses must end with.
  ScoreSpec spec(int n) const { return ScoreSpec{n, options_.score_min, options_.score_max}; }
  static ScoreSpec single_spec() { return ScoreSpec{1, 0, 1}; }

  const PromptOptions& options() const { return options_; }

 private:
  std::string criteria_block() const;

  const PromptOptions options_;
  const std::vector<ScoreBand> bands_;
};

}  // namespace spct::grm
