#include "workers/reward/grm/oracle_critique.h"

#include <algorithm>

#include "workers/reward/grm/score_parser.h"

namespace spct::grm {

std::string oracle_critique(const PromptTemplate& prompt, const PreferenceItem& item, const std::vector<int>& order) {
  const PromptOptions& options = prompt.options();
  const bool single = item.responses.size() == 1;
  std::vector<int> scores;
  int best_position = 0;
  for (size_t p = 0; p < order.size(); ++p) {
    const bool best = item.labels.empty() ? order[p] == item.truth : item.labels[static_cast<size_t>(order[p])] == 1;
    if (best && item.labels.empty()) best_position = static_cast<int>(p);
    scores.push_back(best ? options.score_max : options.score_min);
  }
  if (single) scores = {item.truth};

  std::string box = "\\boxed{";
  for (size_t i = 0; i < scores.size(); ++i) box += (i ? "," : "") + std::to_string(scores[i]);
  box += "}";
  // The principle of a compact critique is what the best response must be: the truth's own text. A
  // single-response item does not say what is right when its response is wrong, so its critique has none.
  if (options.compact && options.principles_in_critique && !single) {
    // A labelled item may show no right response: its principle is the answer it carries.
    return "P:" + (item.labels.empty() ? item.responses[static_cast<size_t>(item.truth)] : item.answer) + " " + box;
  }
  if (options.compact) return box;

  std::string out = "Specific Criteria: Correctness (100%): the response answers the query exactly.\nAnalysis: ";
  if (single) {
    out += item.truth == 1 ? "The response is correct." : "The response is wrong.";
  } else if (!item.labels.empty()) {
    out += "Each response is scored on its own: a correct one high, a wrong one low.";
  } else {
    out += "Response " + std::to_string(best_position + 1) + " is correct; the other" +
           (scores.size() > 2 ? " responses are" : " response is") + " wrong.";
  }
  return out + "\nScores: " + box;
}

std::optional<ReferenceTruth> truth_from_reference(std::string_view reference, int score_min, int score_max) {
  ParseStatus status = ParseStatus::kOk;
  size_t offset = 0;
  const std::string_view content = last_boxed_content(reference, &status, &offset);
  if (status != ParseStatus::kOk) return std::nullopt;
  const int n = static_cast<int>(std::count(content.begin(), content.end(), ',')) + 1;
  const ParsedScores parsed = parse_scores(reference, ScoreSpec{n, 0, 999999999});
  if (!parsed.ok()) return std::nullopt;
  if (n == 1) return ReferenceTruth{1, parsed.scores[0], {}};
  const auto top = std::max_element(parsed.scores.begin(), parsed.scores.end());
  if (std::count(parsed.scores.begin(), parsed.scores.end(), *top) == 1) {
    return ReferenceTruth{n, static_cast<int>(top - parsed.scores.begin()), {}};
  }
  // No single best: a labelled item's critique, right responses above the middle of the range.
  ReferenceTruth truth{n, 0, {}};
  for (const int score : parsed.scores) truth.labels.push_back(2 * score > score_min + score_max ? 1 : 0);
  return truth;
}

}  // namespace spct::grm
