// GRM critique prompts made from preference items, as a PromptSource: what `run.job: grpo` trains a GRM on
// (SPCT phase 2, rule-based online RL) and what the supervised warm start of a tiny GRM reads.
//
// Item i becomes:
//   prompt  the GRM prompt (grm.template, full or compact; critique_judge.h's render_item_prompt) with the
//           item's responses in a seeded shuffle of its own, so the policy cannot learn a position;
//   answer  the oracle critique for that shown order (oracle_critique.h), which encodes the ground truth in
//           shown order: the grm_correct rule reads it back, and the warm start trains on it;
//   id      "preference/<task>/<split>/<i>" for the synthetic task, the item's "file:line" for JSONL.
//
// The items come from the synthetic preference task (data.task: preference; preference_task.h) or from JSONL
// preference files (data.format: preference with data.path / data.eval_path; preference_data.h).
//
// Thread safety: immutable after construction; at() may run on several threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "orchestrator/data/preference_task.h"
#include "orchestrator/data/prompt_sources.h"
#include "workers/reward/grm/preference_data.h"
#include "workers/reward/grm/prompt_template.h"

namespace spct::data {

class PreferencePrompts final : public PromptSource {
 public:
  // Over the synthetic task (unbounded train split, or its eval split).
  PreferencePrompts(std::shared_ptr<const SyntheticPreferences> items, grm::PromptOptions prompt, uint64_t seed);

  // Over loaded items; `fingerprint` identifies them (e.g. the file's digest). REQUIRES: !items.empty().
  PreferencePrompts(std::vector<grm::PreferenceItem> items, std::string fingerprint, grm::PromptOptions prompt,
                    uint64_t seed);

  uint64_t size() const override;
  PromptItem at(uint64_t index) const override;
  std::string fingerprint() const override;

  // The labelled item behind prompt `index`, and the order its responses are shown in (order[p] = original
  // index of the response at position p).
  grm::PreferenceItem item(uint64_t index) const;
  std::vector<int> shown_order(uint64_t index) const;

 private:
  std::vector<int> order_for(uint64_t index, size_t responses) const;

  const std::shared_ptr<const SyntheticPreferences> synthetic_;  // null for loaded items
  const std::vector<grm::PreferenceItem> items_;
  const std::string fingerprint_;
  const grm::PromptTemplate prompt_;
  const uint64_t seed_;
};

struct PreferenceSources {
  std::shared_ptr<const PreferencePrompts> train;  // never null
  std::shared_ptr<const PreferencePrompts> eval;   // null for a JSONL file without data.eval_path
};

// The sources of a run whose data are preference items (data.task preference, or data.format preference).
// Throws spct::UsageError for unusable task parameters or grm prompt options, spct::InputError for a malformed
// file, and, with `count_tokens`, refuses prompts longer than data.max_prompt_tokens up front (every item of a
// file, naming its line; for the synthetic task the first kLengthCheckItems train items and every eval item,
// whose lengths vary only with operand digits and response lengths).
PreferenceSources make_preference_sources(const config::Config& config, const TokenCounter& count_tokens = {});

inline constexpr uint64_t kLengthCheckItems = 512;

}  // namespace spct::data
