#include "workers/reward/grm/prompt_template.h"

#include <algorithm>
#include <cstdio>

#include "core/error.h"
#include "workers/reward/grm/compact_prompt.h"

namespace spct::grm {
namespace {

// "30%", "33.3%": one decimal, dropped when it is 0.
std::string percent(double fraction) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f", 100.0 * fraction);
  std::string text = buffer;
  if (text.size() > 2 && text.compare(text.size() - 2, 2, ".0") == 0) text.resize(text.size() - 2);
  return text + "%";
}

std::string band_range(const ScoreBand& band) {
  if (band.low == band.high) return std::to_string(band.low);
  return std::to_string(band.low) + "-" + std::to_string(band.high);
}

constexpr std::string_view kInstruction =
    "You are a strict scoring expert. Judge how well each response below answers the conversation, against the "
    "evaluation criteria listed. Be critical and impartial: do not reward length, confident tone or the order in "
    "which responses appear, and give high scores only to responses that fully earn them.\n\n";

}  // namespace

std::vector<ScoreBand> score_bands(int score_min, int score_max) {
  static const char* const kMeanings[] = {
      "excellent: satisfies every criterion, with at most trivial flaws",
      "good: satisfies the main criteria, with minor flaws",
      "fair: partly satisfies the criteria, with significant flaws or omissions",
      "poor: fails the query, or is wrong, unsafe or irrelevant",
  };
  // Cumulative tenths of the range covered from the top: 2, 5, 8, 10 (the paper's 2:3:3:2 on 1..10).
  static const int kCumulativeTenths[] = {2, 5, 8, 10};
  const int width = score_max - score_min + 1;
  std::vector<ScoreBand> bands;
  int covered = 0;
  for (int b = 0; b < 4; ++b) {
    const int upto = (width * kCumulativeTenths[b] + 5) / 10;
    if (upto > covered) bands.push_back({score_max - upto + 1, score_max - covered, kMeanings[b]});
    covered = std::max(covered, upto);
  }
  return bands;
}

PromptOptions PromptOptions::from_config(const config::GrmSection& grm) {
  PromptOptions options;
  for (size_t i = 0; i < grm.principles.size(); ++i) {
    const double weight = grm.principle_weights.empty() ? 1.0 : grm.principle_weights.at(i);
    options.principles.push_back({grm.principles[i], weight});
  }
  options.score_min = static_cast<int>(grm.score_min);
  options.score_max = static_cast<int>(grm.score_max);
  options.compact = grm.prompt_template == config::GrmPromptTemplate::kCompact ||
                    grm.prompt_template == config::GrmPromptTemplate::kCompactPrinciples;
  options.principles_in_critique = grm.prompt_template == config::GrmPromptTemplate::kCompactPrinciples;
  return options;
}

PromptTemplate::PromptTemplate(PromptOptions options)
    : options_(std::move(options)),
      bands_(options_.score_min < options_.score_max ? score_bands(options_.score_min, options_.score_max)
                                                     : std::vector<ScoreBand>{}) {
  if (options_.principles.empty()) throw UsageError("grm.principles: the GRM prompt needs at least one principle");
  double sum = 0;
  for (size_t i = 0; i < options_.principles.size(); ++i) {
    const double weight = options_.principles[i].weight;
    if (!(weight >= 0)) {
      throw UsageError("grm.principle_weights[" + std::to_string(i) + "]: weight " + std::to_string(weight) +
                       " is negative");
    }
    sum += weight;
  }
  if (!(sum > 0)) throw UsageError("grm.principle_weights: the weights sum to 0");
  if (options_.score_min >= options_.score_max) {
    throw UsageError("grm.score_min (" + std::to_string(options_.score_min) + ") must be below grm.score_max (" +
                     std::to_string(options_.score_max) + ")");
  }
}

std::string PromptTemplate::criteria_block() const {
  double sum = 0;
  for (const Principle& p : options_.principles) sum += p.weight;
  std::string out = "#### Evaluation Criteria ####\n";
  for (size_t i = 0; i < options_.principles.size(); ++i) {
    const Principle& p = options_.principles[i];
    out += std::to_string(i + 1) + ". " + p.text + " (weight " + percent(p.weight / sum) + ")\n";
  }
  return out;
}

std::string PromptTemplate::render(std::string_view query, const std::vector<std::string_view>& responses,
                                   std::optional<int> hint_best) const {
  if (options_.compact) return render_compact(query, responses, hint_best);
  std::string out(kInstruction);
  out += criteria_block();
  out += "\nScore each response with an integer from " + std::to_string(options_.score_min) + " to " +
         std::to_string(options_.score_max) + ":\n";
  for (const ScoreBand& band : bands_) out += "- " + band_range(band) + ": " + band.meaning + "\n";

  out += "\n#### Conversation Context ####\n";
  out += query;
  out += "\n\n#### Responses to be Scored ####\n";
  for (size_t i = 0; i < responses.size(); ++i) {
    const std::string number = std::to_string(i + 1);
    out += "[The Begin of Response " + number + "]\n";
    out += responses[i];
    out += "\n[The End of Response " + number + "]\n";
  }

  std::string boxed = "s_1";
  for (size_t i = 2; i <= responses.size(); ++i) boxed += ", s_" + std::to_string(i);
  out += "\n#### Output Format Requirements ####\n";
  out += "Write exactly three parts, in this order:\n";
  out += "Specific Criteria: <the criteria that matter most for this conversation, each with its weight>\n";
  out += "Analysis: <a critique of every response against those criteria>\n";
  out += "Scores: \\boxed{" + boxed +
         "} <one integer score per response, in the order the responses appear, "
         "separated by commas>\n";
  if (hint_best) out += "\nThe best response is: Response " + std::to_string(*hint_best + 1) + "\n";
  return out;
}

std::string PromptTemplate::render_single(std::string_view query, std::string_view response) const {
  if (options_.compact) return render_compact_single(query, response);
  std::string out(kInstruction);
  out += criteria_block();
  out +=
      "\nDecide whether the response answers the query correctly and completely: score 1 if it does, 0 if it "
      "does not.\n";
  out += "\n#### Conversation Context ####\n";
  out += query;
  out += "\n\n#### Responses to be Scored ####\n[The Begin of Response 1]\n";
  out += response;
  out += "\n[The End of Response 1]\n";
  out += "\n#### Output Format Requirements ####\n";
  out += "Write exactly three parts, in this order:\n";
  out += "Specific Criteria: <the criteria that matter most for this conversation, each with its weight>\n";
  out += "Analysis: <a critique of the response against those criteria>\n";
  out += "Scores: \\boxed{s_1} <1 if the response is correct, 0 if it is not>\n";
  return out;
}

}  // namespace spct::grm
