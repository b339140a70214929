// SPCT phase 1, rejective fine-tuning (RFT): which sampled critiques become supervised training data.
//
// For each item, N critiques are sampled (each with its own seeded response order, as in voting), parsed and
// judged with correctness.h's training rule (ties are not correct; an unparsable critique is not correct).
//   - Incorrect critiques are dropped.
//   - If all N are correct the item is "too easy" and dropped entirely.
//   - Hinted sampling (optional, items with n >= 2 only): an item none of whose N critiques is correct gets
//     one more critique from a prompt ending "The best response is: Response j"; it is kept if correct. Its
//     training example pairs the critique with the prompt WITHOUT the hint, so the model learns to produce it
//     unaided.
// All unhinted prompts go to the sampler in one generate() call, all hinted prompts in a second one.
//
// Ownership: RftFilter keeps references to the template and the sampler; they must outlive it.
// Thread safety: as GroupScorer (group_scorer.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "workers/reward/grm/group_scorer.h"
#include "workers/reward/grm/preference_data.h"
#include "workers/reward/grm/prompt_template.h"

namespace spct::grm {

struct RftOptions {
  int samples_per_item = 3;  // N (paper: 3)
  double temperature = 0.5;
  bool hinted_sampling = false;
};

// A kept critique: an SFT example.
struct RftExample {
  size_t item = 0;         // index into the items given to select()
  std::string prompt;      // the unhinted prompt: the SFT input
  std::string critique;    // the SFT target
  std::vector<int> order;  // order[p] = original index of the response shown at position p
  bool hinted = false;
};

// Counts for metrics.
struct RftCounts {
  int64_t items = 0;
  int64_t kept_items = 0;       // items contributing at least one example
  int64_t too_easy = 0;         // all N correct: dropped
  int64_t none_correct = 0;     // no correct unhinted critique
  int64_t samples = 0;          // unhinted critiques sampled
  int64_t correct_samples = 0;  // unhinted critiques judged correct
  int64_t parse_failures = 0;   // unhinted and hinted critiques that did not parse
  int64_t hinted_attempts = 0;
  int64_t hinted_kept = 0;
};

struct RftResult {
  std::vector<RftExample> examples;
  RftCounts counts;
};

class RftFilter {
 public:
  // Throws spct::UsageError when samples_per_item < 1.
  RftFilter(const PromptTemplate& prompt, RftOptions options, CritiqueSampler& sampler);

  // Samples, judges and selects. Shuffle seeds: sample s of item i uses derive_seed(derive_seed(seed, i), s);
  // the hinted sample uses stream N. Throws spct::Error when the sampler returns the wrong number of texts.
  RftResult select(const std::vector<PreferenceItem>& items, uint64_t seed) const;

 private:
  const PromptTemplate& prompt_;
  const RftOptions options_;
  CritiqueSampler& sampler_;
};

}  // namespace spct::grm
