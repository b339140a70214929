// RewardBench-style accuracy accounting for GRM evaluation (section 5 of algorithms.md).
//
// Each evaluated item is recorded with its subset and whether the GRM picked the right best response. Ties
// are resolved BEFORE recording, by the caller, with correctness.h's eval_pick_best (a seeded shuffle among
// the tied maxima): in evaluation a tie is neither always right nor always wrong, and reproducible per seed.
//
// Sections: RewardBench subset names map to its four sections (Chat, Chat Hard, Safety, Reasoning); an unknown
// subset is its own section; an item without a subset goes to the section "(none)". Accuracy of a subset or a
// section is correct / total over its items (a section weights its subsets by their item counts). The headline
// is the plain mean of the four RewardBench sections that have items, as in the paper.
//
// Thread safety: not thread-safe; one PreferenceEval per evaluating thread, merged with merge().
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spct::grm {

// "Chat", "Chat Hard", "Safety", "Reasoning" for a known RewardBench subset, otherwise `subset` itself
// ("(none)" when it is empty).
std::string reward_bench_section(std::string_view subset);

struct Accuracy {
  std::string name;
  int64_t correct = 0;
  int64_t total = 0;

  double value() const { return total == 0 ? 0.0 : static_cast<double>(correct) / static_cast<double>(total); }
};

class PreferenceEval {
 public:
  void add(const std::string& subset, bool correct);
  void merge(const PreferenceEval& other);

  // Sorted by name.
  std::vector<Accuracy> per_subset() const;
  std::vector<Accuracy> per_section() const;
  Accuracy overall() const;
  // Mean accuracy of the RewardBench sections present; nullopt when none is.
  std::optional<double> headline() const;

 private:
  std::map<std::string, Accuracy> subsets_;
};

}  // namespace spct::grm
