#include "workers/reward/grm/rft_filter.h"

#include "core/error.h"
#include "workers/reward/grm/critique_judge.h"
#include "workers/reward/grm/voting.h"

namespace spct::grm {
namespace {

struct Attempt {
  size_t item = 0;
  std::vector<int> order;
  std::string prompt;    // what the sampler sees (hinted or not)
  std::string unhinted;  // the SFT input
};

std::vector<std::string> generate_checked(CritiqueSampler& sampler, const std::vector<Attempt>& attempts,
                                          double temperature) {
  std::vector<std::string> prompts;
  prompts.reserve(attempts.size());
  for (const Attempt& a : attempts) prompts.push_back(a.prompt);
  std::vector<std::string> texts = sampler.generate(prompts, temperature);
  if (texts.size() != prompts.size()) {
    throw Error(ExitCode::kFailure, "rejective fine-tuning: the critique sampler returned " +
                                        std::to_string(texts.size()) + " texts for " + std::to_string(prompts.size()) +
                                        " prompts");
  }
  return texts;
}

}  // namespace

RftFilter::RftFilter(const PromptTemplate& prompt, RftOptions options, CritiqueSampler& sampler)
    : prompt_(prompt), options_(options), sampler_(sampler) {
  if (options_.samples_per_item < 1) throw UsageError("rejective fine-tuning needs at least 1 sample per item");
}

RftResult RftFilter::select(const std::vector<PreferenceItem>& items, uint64_t seed) const {
  const int samples = options_.samples_per_item;
  RftResult result;
  // Parses a critique of `attempt`, counts a parse failure, and applies the training rule.
  const auto judge = [&](const Attempt& attempt, const std::string& text) {
    const Judgement judgement = judge_critique(prompt_, items[attempt.item], attempt.order, text);
    if (!judgement.parsed.ok()) ++result.counts.parse_failures;
    return judgement.correct;
  };

  // 1. N unhinted critiques per item, in one batch.
  std::vector<Attempt> attempts;
  for (size_t i = 0; i < items.size(); ++i) {
    const uint64_t item_seed = derive_seed(seed, i);
    for (int s = 0; s < samples; ++s) {
      Attempt a;
      a.item = i;
      a.order = shuffled_order(static_cast<int>(items[i].responses.size()), derive_seed(item_seed, s));
      a.prompt = render_item_prompt(prompt_, items[i], a.order);
      a.unhinted = a.prompt;
      attempts.push_back(std::move(a));
    }
  }
  std::vector<std::string> texts = generate_checked(sampler_, attempts, options_.temperature);

  // 2. Judge; keep the correct critiques of items that are not too easy.
  result.counts.items = static_cast<int64_t>(items.size());
  result.counts.samples = static_cast<int64_t>(attempts.size());
  std::vector<Attempt> hinted;
  for (size_t i = 0; i < items.size(); ++i) {
    std::vector<size_t> correct;
    for (int s = 0; s < samples; ++s) {
      const size_t at = i * static_cast<size_t>(samples) + static_cast<size_t>(s);
      if (judge(attempts[at], texts[at])) correct.push_back(at);
    }
    result.counts.correct_samples += static_cast<int64_t>(correct.size());
    if (static_cast<int>(correct.size()) == samples) {
      ++result.counts.too_easy;
      continue;
    }
    if (correct.empty()) {
      ++result.counts.none_correct;
      if (options_.hinted_sampling && items[i].responses.size() >= 2) {
        Attempt a;
        a.item = i;
        a.order = shuffled_order(static_cast<int>(items[i].responses.size()),
                                 derive_seed(derive_seed(seed, i), static_cast<uint64_t>(samples)));
        a.prompt = render_item_prompt(prompt_, items[i], a.order, true);
        a.unhinted = render_item_prompt(prompt_, items[i], a.order);
        hinted.push_back(std::move(a));
      }
      continue;
    }
    ++result.counts.kept_items;
    for (const size_t at : correct) {
      result.examples.push_back({i, attempts[at].unhinted, std::move(texts[at]), attempts[at].order, false});
    }
  }

  // 3. One hinted critique for each item with no correct one; kept if correct.
  if (!hinted.empty()) {
    std::vector<std::string> hinted_texts = generate_checked(sampler_, hinted, options_.temperature);
    result.counts.hinted_attempts = static_cast<int64_t>(hinted.size());
    for (size_t h = 0; h < hinted.size(); ++h) {
      if (!judge(hinted[h], hinted_texts[h])) continue;
      ++result.counts.hinted_kept;
      ++result.counts.kept_items;
      result.examples.push_back(
          {hinted[h].item, hinted[h].unhinted, std::move(hinted_texts[h]), hinted[h].order, true});
    }
  }
  return result;
}

}  // namespace spct::grm
