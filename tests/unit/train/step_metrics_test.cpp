// A step's metrics from the groups it scored: the GRM's agreement with the verifier on the policy's samples.
#include "orchestrator/train/step_metrics.h"

#include <catch2/catch.hpp>
#include <utility>
#include <vector>

using spct::protocol::GeneratedGroup;
using spct::protocol::RewardResult;

namespace {

using Scores = std::pair<std::vector<double>, std::vector<double>>;  // (grm, exact_match) of one group

// A group of one-token completions scored by the GRM and the verifier exact_match.
std::pair<GeneratedGroup, RewardResult> scored(const Scores& scores) {
  GeneratedGroup group;
  group.completions.resize(scores.first.size());
  for (auto& completion : group.completions) completion.tokens = {1};
  RewardResult result;
  result.rewards = scores.first;
  result.breakdown = {{"grm", scores.first}, {"exact_match", scores.second}};
  return {group, result};
}

// The agreement by its definition: over (right, wrong) pairs, 1 when the GRM ranks right above wrong, 1/2 on a
// tie, 0 otherwise.
std::pair<double, int> by_definition(const std::vector<Scores>& groups) {
  double sum = 0;
  int pairs = 0;
  for (const auto& [grm, exact] : groups) {
    for (size_t i = 0; i < grm.size(); ++i) {
      for (size_t j = 0; j < grm.size(); ++j) {
        if (exact[i] == 1 && exact[j] == 0) {
          ++pairs;
          sum += grm[i] > grm[j] ? 1 : grm[i] == grm[j] ? 0.5 : 0;
        }
      }
    }
  }
  return {sum / pairs, pairs};
}

}  // namespace

TEST_CASE("a step reports how often the GRM ranks the verifier's right answer above a wrong one", "[train]") {
  const std::vector<Scores> groups = {
      {{0.9, 0.1, 0.5, 0.5}, {1, 0, 0, 1}},  // right 0 and 3 against wrong 1 and 2: 1, 1, 1, 0.5
      {{0.2, 0.8, 0.8}, {1, 0, 0}},          // the GRM prefers the wrong ones: 0, 0
      {{0.7, 0.3}, {0, 0}}};                 // nothing right: no pair
  spct::train::StepTally tally;
  for (const Scores& scores : groups) {
    const auto [group, result] = scored(scores);
    tally.add(group, result);
  }
  spct::Metrics metrics;
  tally.write_into(metrics);
  const auto [agreement, pairs] = by_definition(groups);
  CHECK(pairs == 6);
  CHECK(metrics.at("grm/verifier_pairs") == pairs);
  CHECK(metrics.at("grm/verifier_agreement") == Approx(agreement));
  CHECK(agreement == Approx(3.5 / 6));
  CHECK(metrics.at("verifier/accuracy") == Approx(3.0 / 9));

  // A step whose groups the verifier never splits has no agreement figure (not a misleading 0 or 1).
  spct::train::StepTally uniform;
  const auto [group, result] = scored({{0.6, 0.4}, {1, 1}});
  uniform.add(group, result);
  spct::Metrics none;
  uniform.write_into(none);
  CHECK(none.count("grm/verifier_agreement") == 0);
  CHECK(none.count("verifier/accuracy") == 1);
}
