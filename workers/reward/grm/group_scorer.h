// One GRM critique pass over groups of responses: render prompts, sample critiques, parse, vote.
//
// For every group and every chunk of it (voting.h: chunk_group), GroupScorer renders `samples` prompts, each
// with the chunk's responses in its own seeded shuffle, asks the CritiqueSampler for all prompts of all groups
// in ONE generate() call (so a model-driven sampler can batch them), optionally asks the CritiqueRater (the
// meta RM) to rate every critique in one rate() call, parses each critique (score_parser.h) and votes
// (voting@k, or meta-RM guided voting when a rater is given).
//
// Seeds are per group, never per position in the call, so scoring groups one call each or many in one call
// (the reward worker batches them) gives the same scores: with G = derive_seed(seed, id) for a group's id (its
// index in the call when it has none), sample s of chunk c shows the responses in the shuffle of
// S = derive_seed(derive_seed(G, c), s) and its critique is sampled with derive_seed(S, kCritiqueStream)
// (CritiqueSampler::generate_seeded; a backend that cannot seed a critique, a remote GRM, ignores it).
//
// A group whose vote fails in any chunk (parse fallback "fail", or "skip" with no parsable critique) comes back
// with ok() false and an error naming the chunk; its critiques are still returned for logging. Deciding what
// reward such a group gets is the reward worker's job.
//
// Ownership: GroupScorer keeps references to the template, the sampler and the rater; they must outlive it.
// Thread safety: score() is const but calls the sampler and rater, which need not be thread-safe: call it
// from one thread at a time unless they are.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config.h"
#include "workers/reward/grm/prompt_template.h"
#include "workers/reward/grm/voting.h"

namespace spct::grm {

// Generates critiques: the model-driven sampler, or a remote GRM. Tests drive it with scripted texts.
class CritiqueSampler {
 public:
  virtual ~CritiqueSampler() = default;
  // One critique per prompt, in the same order, sampled at `temperature`. May throw spct::Error (for example
  // when a remote backend times out); GroupScorer lets it propagate.
  virtual std::vector<std::string> generate(const std::vector<std::string>& prompts, double temperature) = 0;

  // As generate(), prompt i sampled from seeds[i] (same length as prompts), so a critique does not depend on
  // what else is in the call. The default ignores the seeds (a backend that seeds per call).
  virtual std::vector<std::string> generate_seeded(const std::vector<std::string>& prompts,
                                                   const std::vector<uint64_t>& seeds, double temperature) {
    (void)seeds;
    return generate(prompts, temperature);
  }
};

// The meta RM: rates how trustworthy each sampled critique is (higher is better).
class CritiqueRater {
 public:
  virtual ~CritiqueRater() = default;
  // One rating per (prompt, critique) pair, in order.
  virtual std::vector<double> rate(const std::vector<std::string>& prompts,
                                   const std::vector<std::string>& critiques) = 0;
};

struct ScorerOptions {
  int samples = 8;                 // k critiques per chunk
  double temperature = 0.5;        // passed to the sampler
  int max_responses_per_pass = 8;  // chunk size limit, >= 2
  VoteOptions vote;

  // From grm.samples, grm.temperature, grm.max_responses_per_pass and the VoteOptions fields.
  static ScorerOptions from_config(const config::GrmSection& grm);
};

struct GroupInput {
  std::string_view query;
  std::vector<std::string_view> responses;
  // Seeds the group's shuffles and critiques (see above); unset: the group's index in the call. The reward
  // worker sets it from (step, prompt id), so which groups share a call does not matter.
  std::optional<uint64_t> id = std::nullopt;
};

// One sampled critique, kept for logging, meta-RM training and the GRM's own RL.
struct CritiqueRecord {
  int chunk = 0;
  int sample = 0;
  std::vector<int> order;  // order[p] = index in the group of the response shown at position p
  std::string prompt;
  std::string text;
  ParsedScores parsed;
  double meta_score = 0;  // 0 when there is no rater
  bool voted = false;     // selected to vote (always, without a rater)
};

struct GroupScore {
  std::string error;           // empty when ok()
  std::vector<double> totals;  // per response in group order, summed over the voters of its chunk
  std::vector<double> scaled;  // totals as a mean score scaled to [0, 1] (voting.h: scaled_score)
  int voters_per_chunk = 0;    // k, or k_meta with a rater
  int parse_failures = 0;      // among all sampled critiques, voters or not
  std::vector<CritiqueRecord> critiques;

  bool ok() const { return error.empty(); }
};

class GroupScorer {
 public:
  // Throws spct::UsageError when samples < 1 or max_responses_per_pass < 2. `rater` may be null.
  GroupScorer(const PromptTemplate& prompt, ScorerOptions options, CritiqueSampler& sampler,
              CritiqueRater* rater = nullptr);

  // Scores every group. REQUIRES: every group has at least one response. Throws spct::Error when the sampler
  // or rater returns the wrong number of results.
  std::vector<GroupScore> score(const std::vector<GroupInput>& groups, uint64_t seed) const;

 private:
  struct ChunkSlot;
  // Parses and votes the k critiques of one chunk (moving their texts out of `texts`) into `result`.
  void vote_chunk(const ChunkSlot& slot, std::vector<std::string>& texts, const std::vector<double>& ratings,
                  GroupScore& result) const;

  const PromptTemplate& prompt_;
  const ScorerOptions options_;
  CritiqueSampler& sampler_;
  CritiqueRater* const rater_;
};

}  // namespace spct::grm
