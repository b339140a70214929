#include "orchestrator/eval/grm_eval.h"

#include <algorithm>
#include <chrono>

#include "core/error.h"
#include "workers/reward/grm/correctness.h"
#include "workers/reward/grm/voting.h"

namespace spct::eval {
namespace {

// Seed streams of one evaluation: the shuffles of the greedy pass, of the sampled pass, and the tie-breaks.
enum SeedStream : uint64_t { kGreedyShuffles = 0, kSampledShuffles = 1, kTieBreaks = 2 };

// The vote input of a critique. Items are never chunked here, so chunk positions are group indices.
grm::SampleVote as_vote(const grm::CritiqueRecord& record) {
  return {record.order, record.parsed};
}

// Records whether `result` picks `item`'s best response.
void record(GrmMethodResult& method, const grm::PreferenceItem& item, const grm::VoteResult& result,
            uint64_t tie_seed) {
  if (!result.ok) ++method.vote_failures;
  const bool correct = result.ok && grm::eval_pick_best(result.totals, tie_seed) == item.truth;
  method.accuracy.add(item.subset, correct);
  method.correct_per_item.push_back(correct ? 1 : 0);
}

void check_inputs(const std::vector<grm::PreferenceItem>& items, const GrmEvalOptions& options) {
  if (items.empty()) throw UsageError("spct eval: no preference items to evaluate");
  if (options.k.empty()) throw UsageError("eval.k is empty: list at least one k");
  for (const int k : options.k) {
    if (k < 1) throw UsageError("eval.k: every k must be at least 1, not " + std::to_string(k));
  }
  for (const grm::PreferenceItem& item : items) {
    if (item.responses.size() < 2) {
      throw InputError(item.where + ": the item has " + std::to_string(item.responses.size()) +
                       " response(s); spct eval needs at least 2 to pick the best (single-response items are a "
                       "training format)");
    }
  }
}

}  // namespace

GrmEvalResult evaluate_grm(const std::vector<grm::PreferenceItem>& items, const config::GrmSection& grm,
                           const GrmEvalOptions& options, grm::CritiqueSampler& sampler, grm::CritiqueRater* rater) {
  check_inputs(items, options);
  const int max_k = *std::max_element(options.k.begin(), options.k.end());
  const grm::PromptTemplate prompt(grm::PromptOptions::from_config(grm));

  std::vector<grm::GroupInput> groups;
  groups.reserve(items.size());
  size_t most_responses = 2;
  for (const grm::PreferenceItem& item : items) {
    grm::GroupInput group{item.query, {}};
    for (const std::string& response : item.responses) group.responses.emplace_back(response);
    most_responses = std::max(most_responses, item.responses.size());
    groups.push_back(std::move(group));
  }

  // One pass over all n responses of an item: its scores must be comparable, so no chunking.
  grm::ScorerOptions greedy = grm::ScorerOptions::from_config(grm);
  greedy.samples = 1;
  greedy.temperature = 0;
  greedy.max_responses_per_pass = static_cast<int>(most_responses);
  grm::ScorerOptions sampled = grm::ScorerOptions::from_config(grm);
  sampled.samples = max_k;
  sampled.max_responses_per_pass = static_cast<int>(most_responses);
  sampled.vote.meta_samples = std::min(sampled.vote.meta_samples, max_k);

  GrmEvalResult result;
  result.items = static_cast<int64_t>(items.size());
  const auto start = std::chrono::steady_clock::now();
  const std::vector<grm::GroupScore> greedy_scores =
      grm::GroupScorer(prompt, greedy, sampler).score(groups, grm::derive_seed(options.seed, kGreedyShuffles));
  const std::vector<grm::GroupScore> sampled_scores =
      grm::GroupScorer(prompt, sampled, sampler, rater).score(groups, grm::derive_seed(options.seed, kSampledShuffles));
  result.sample_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  // Methods in report order: greedy, voting@k ascending, metarm@k ascending.
  result.methods.push_back({GrmMethod::kGreedy, "greedy", 1, 1, {}, 0, {}});
  for (const int k : options.k) {
    result.methods.push_back({GrmMethod::kVoting, "voting@" + std::to_string(k), k, k, {}, 0, {}});
  }
  if (rater != nullptr) {
    for (const int k : options.k) {
      const int voters = grm::effective_meta_samples(k, std::min(sampled.vote.meta_samples, k));
      result.methods.push_back({GrmMethod::kMetaRm, "metarm@" + std::to_string(k), k, voters, {}, 0, {}});
    }
  }

  const uint64_t tie_seeds = grm::derive_seed(options.seed, kTieBreaks);
  for (size_t i = 0; i < items.size(); ++i) {
    const grm::PreferenceItem& item = items[i];
    const int n = static_cast<int>(item.responses.size());
    const uint64_t tie_seed = grm::derive_seed(tie_seeds, i);
    result.critiques += static_cast<int64_t>(greedy_scores[i].critiques.size() + sampled_scores[i].critiques.size());
    result.parse_failures += greedy_scores[i].parse_failures + sampled_scores[i].parse_failures;

    std::vector<grm::SampleVote> votes;
    std::vector<double> ratings;
    for (const grm::CritiqueRecord& critique : sampled_scores[i].critiques) {
      votes.push_back(as_vote(critique));
      ratings.push_back(critique.meta_score);
    }
    for (GrmMethodResult& method : result.methods) {
      const auto k = static_cast<std::ptrdiff_t>(method.k);
      switch (method.method) {
        case GrmMethod::kGreedy:
          record(method, item, grm::vote({as_vote(greedy_scores[i].critiques.front())}, n, greedy.vote), tie_seed);
          break;
        case GrmMethod::kVoting:
          record(method, item, grm::vote({votes.begin(), votes.begin() + k}, n, sampled.vote), tie_seed);
          break;
        case GrmMethod::kMetaRm: {
          grm::VoteOptions vote_options = sampled.vote;
          vote_options.meta_samples = method.voters;
          record(method, item,
                 grm::meta_vote({votes.begin(), votes.begin() + k}, {ratings.begin(), ratings.begin() + k}, n,
                                vote_options),
                 tie_seed);
          break;
        }
      }
    }
  }
  return result;
}

}  // namespace spct::eval
