#include "workers/reward/grm/preference_eval.h"

#include <array>

namespace spct::grm {
namespace {

struct SubsetSection {
  std::string_view subset;
  std::string_view section;
};

// RewardBench's subsets and the section each belongs to.
constexpr std::array<SubsetSection, 23> kRewardBench = {{
    {"alpacaeval-easy", "Chat"},
    {"alpacaeval-length", "Chat"},
    {"alpacaeval-hard", "Chat"},
    {"mt-bench-easy", "Chat"},
    {"mt-bench-med", "Chat"},
    {"mt-bench-hard", "Chat Hard"},
    {"llmbar-natural", "Chat Hard"},
    {"llmbar-adver-neighbor", "Chat Hard"},
    {"llmbar-adver-GPTInst", "Chat Hard"},
    {"llmbar-adver-GPTOut", "Chat Hard"},
    {"llmbar-adver-manual", "Chat Hard"},
    {"refusals-dangerous", "Safety"},
    {"refusals-offensive", "Safety"},
    {"xstest-should-refuse", "Safety"},
    {"xstest-should-respond", "Safety"},
    {"donotanswer", "Safety"},
    {"math-prm", "Reasoning"},
    {"hep-cpp", "Reasoning"},
    {"hep-go", "Reasoning"},
    {"hep-java", "Reasoning"},
    {"hep-js", "Reasoning"},
    {"hep-python", "Reasoning"},
    {"hep-rust", "Reasoning"},
}};

constexpr std::array<std::string_view, 4> kSections = {"Chat", "Chat Hard", "Safety", "Reasoning"};

void accumulate(Accuracy& into, const Accuracy& from) {
  into.correct += from.correct;
  into.total += from.total;
}

}  // namespace

std::string reward_bench_section(std::string_view subset) {
  if (subset.empty()) return "(none)";
  for (const SubsetSection& row : kRewardBench) {
    if (row.subset == subset) return std::string(row.section);
  }
  return std::string(subset);
}

void PreferenceEval::add(const std::string& subset, bool correct) {
  Accuracy& acc = subsets_[subset];
  acc.name = subset;
  acc.correct += correct ? 1 : 0;
  acc.total += 1;
}

void PreferenceEval::merge(const PreferenceEval& other) {
  for (const auto& [name, acc] : other.subsets_) {
    Accuracy& mine = subsets_[name];
    mine.name = name;
    accumulate(mine, acc);
  }
}

std::vector<Accuracy> PreferenceEval::per_subset() const {
  std::vector<Accuracy> out;
  for (const auto& entry : subsets_) out.push_back(entry.second);
  return out;
}

std::vector<Accuracy> PreferenceEval::per_section() const {
  std::map<std::string, Accuracy> sections;
  for (const auto& [name, acc] : subsets_) {
    const std::string section = reward_bench_section(name);
    Accuracy& into = sections[section];
    into.name = section;
    accumulate(into, acc);
  }
  std::vector<Accuracy> out;
  out.reserve(sections.size());
  for (const auto& entry : sections) out.push_back(entry.second);
  return out;
}

Accuracy PreferenceEval::overall() const {
  Accuracy all{"overall", 0, 0};
  for (const auto& entry : subsets_) accumulate(all, entry.second);
  return all;
}

std::optional<double> PreferenceEval::headline() const {
  double sum = 0;
  int present = 0;
  for (const Accuracy& section : per_section()) {
    for (const std::string_view known : kSections) {
      if (section.name == known && section.total > 0) {
        sum += section.value();
        ++present;
      }
    }
  }
  if (present == 0) return std::nullopt;
  return sum / present;
}

}  // namespace spct::grm
