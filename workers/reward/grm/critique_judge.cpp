#include "workers/reward/grm/critique_judge.h"

#include <optional>

#include "workers/reward/grm/correctness.h"
#include "workers/reward/grm/voting.h"

namespace spct::grm {

std::string render_item_prompt(const PromptTemplate& prompt, const PreferenceItem& item, const std::vector<int>& order,
                               bool hinted) {
  if (item.responses.size() == 1) return prompt.render_single(item.query, item.responses[0]);
  std::vector<std::string_view> shown;
  std::optional<int> hint;
  for (size_t p = 0; p < order.size(); ++p) {
    shown.push_back(item.responses[static_cast<size_t>(order[p])]);
    // A labelled item has no single best response to name: it gets no hint.
    if (hinted && item.labels.empty() && order[p] == item.truth) hint = static_cast<int>(p);
  }
  return prompt.render(item.query, shown, hint);
}

Judgement judge_critique(const PromptTemplate& prompt, const PreferenceItem& item, const std::vector<int>& order,
                         std::string_view critique) {
  const int n = static_cast<int>(item.responses.size());
  Judgement judgement;
  judgement.parsed = parse_scores(critique, n == 1 ? PromptTemplate::single_spec() : prompt.spec(n));
  if (!judgement.parsed.ok()) return judgement;
  const std::vector<int> scores = to_original_order(judgement.parsed.scores, order);
  const PromptOptions& options = prompt.options();
  judgement.correct = item.labels.empty()
                          ? critique_correct(scores, item.truth)
                          : labelled_critique_correct(scores, item.labels, options.score_min, options.score_max);
  return judgement;
}

}  // namespace spct::grm
