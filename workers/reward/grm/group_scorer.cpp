#include "workers/reward/grm/group_scorer.h"

#include "core/error.h"

namespace spct::grm {
namespace {

// The stream of a sample's seed that seeds its critique (its shuffle uses the sample's seed itself).
constexpr uint64_t kCritiqueStream = 0x63726974;  // "crit"

void check_count(const char* who, size_t got, size_t want) {
  if (got != want) {
    throw Error(ExitCode::kFailure, std::string("grm critique pass: the ") + who + " returned " + std::to_string(got) +
                                        " results for " + std::to_string(want) + " prompts");
  }
}

}  // namespace

ScorerOptions ScorerOptions::from_config(const config::GrmSection& grm) {
  ScorerOptions options;
  options.samples = static_cast<int>(grm.samples);
  options.temperature = grm.temperature;
  options.max_responses_per_pass = static_cast<int>(grm.max_responses_per_pass);
  options.vote = VoteOptions::from_config(grm);
  return options;
}

// Where the critiques of one chunk sit in the flat batch handed to the sampler.
struct GroupScorer::ChunkSlot {
  size_t group = 0;
  int chunk = 0;
  std::vector<int> members;  // indices in the group
  size_t first = 0;          // index of its first critique in the batch
};

GroupScorer::GroupScorer(const PromptTemplate& prompt, ScorerOptions options, CritiqueSampler& sampler,
                         CritiqueRater* rater)
    : prompt_(prompt), options_(options), sampler_(sampler), rater_(rater) {
  if (options_.samples < 1) throw UsageError("grm.samples must be at least 1");
  if (options_.max_responses_per_pass < 2) throw UsageError("grm.max_responses_per_pass must be at least 2");
}

void GroupScorer::vote_chunk(const ChunkSlot& slot, std::vector<std::string>& texts, const std::vector<double>& ratings,
                             GroupScore& result) const {
  const int k = options_.samples;
  const int n = static_cast<int>(slot.members.size());
  // A group's records are stored chunk by chunk, k per chunk.
  const size_t record_base = static_cast<size_t>(slot.chunk) * static_cast<size_t>(k);
  std::vector<SampleVote> votes;
  std::vector<double> chunk_ratings;
  for (int s = 0; s < k; ++s) {
    const size_t at = slot.first + static_cast<size_t>(s);
    CritiqueRecord& record = result.critiques[record_base + static_cast<size_t>(s)];
    record.text = std::move(texts[at]);
    record.parsed = parse_scores(record.text, prompt_.spec(n));
    if (!record.parsed.ok()) ++result.parse_failures;
    if (rater_) record.meta_score = ratings[at];
    chunk_ratings.push_back(record.meta_score);
    // The vote works in chunk positions; chunks are contiguous, so position = member - first member.
    SampleVote vote_input;
    vote_input.parsed = record.parsed;
    for (const int member : record.order) vote_input.order.push_back(member - slot.members.front());
    votes.push_back(std::move(vote_input));
  }

  const VoteResult vote_result =
      rater_ ? meta_vote(votes, chunk_ratings, n, options_.vote) : vote(votes, n, options_.vote);
  for (const int voter : vote_result.voters) result.critiques[record_base + static_cast<size_t>(voter)].voted = true;
  if (!vote_result.ok) {
    if (result.error.empty()) result.error = "chunk " + std::to_string(slot.chunk) + ": " + vote_result.error;
    return;
  }
  for (int i = 0; i < n; ++i) {
    const auto member = static_cast<size_t>(slot.members[static_cast<size_t>(i)]);
    const double total = vote_result.totals[static_cast<size_t>(i)];
    result.totals[member] = total;
    result.scaled[member] =
        scaled_score(total, result.voters_per_chunk, options_.vote.score_min, options_.vote.score_max);
  }
}

std::vector<GroupScore> GroupScorer::score(const std::vector<GroupInput>& groups, uint64_t seed) const {
  const int k = options_.samples;
  std::vector<GroupScore> results(groups.size());
  std::vector<ChunkSlot> slots;
  std::vector<std::string> prompts;
  std::vector<uint64_t> critique_seeds;

  // 1. Render every prompt of every chunk of every group, each sample with its own shuffle.
  for (size_t g = 0; g < groups.size(); ++g) {
    const uint64_t group_seed = derive_seed(seed, groups[g].id.value_or(g));
    const auto chunks = chunk_group(static_cast<int>(groups[g].responses.size()), options_.max_responses_per_pass);
    for (size_t c = 0; c < chunks.size(); ++c) {
      ChunkSlot slot{g, static_cast<int>(c), chunks[c], prompts.size()};
      const uint64_t chunk_seed = derive_seed(group_seed, c);
      for (int s = 0; s < k; ++s) {
        CritiqueRecord record;
        record.chunk = static_cast<int>(c);
        record.sample = s;
        std::vector<std::string_view> shown;
        const uint64_t sample_seed = derive_seed(chunk_seed, static_cast<uint64_t>(s));
        for (const int p : shuffled_order(static_cast<int>(slot.members.size()), sample_seed)) {
          record.order.push_back(slot.members[static_cast<size_t>(p)]);
          shown.push_back(groups[g].responses[static_cast<size_t>(slot.members[static_cast<size_t>(p)])]);
        }
        record.prompt = prompt_.render(groups[g].query, shown);
        prompts.push_back(record.prompt);
        critique_seeds.push_back(derive_seed(sample_seed, kCritiqueStream));
        results[g].critiques.push_back(std::move(record));
      }
      slots.push_back(std::move(slot));
    }
  }

  // 2. Sample (and rate) everything in one call each, so a model-driven backend can batch.
  std::vector<std::string> texts = sampler_.generate_seeded(prompts, critique_seeds, options_.temperature);
  check_count("critique sampler", texts.size(), prompts.size());
  std::vector<double> ratings;
  if (rater_ != nullptr) {
    ratings = rater_->rate(prompts, texts);
    check_count("meta RM", ratings.size(), prompts.size());
  }

  // 3. Parse and vote chunk by chunk; chunk totals land at their members' positions in the group.
  for (size_t g = 0; g < groups.size(); ++g) {
    results[g].voters_per_chunk = rater_ ? effective_meta_samples(k, options_.vote.meta_samples) : k;
    results[g].totals.assign(groups[g].responses.size(), 0.0);
    results[g].scaled.assign(groups[g].responses.size(), 0.0);
  }
  for (const ChunkSlot& slot : slots) vote_chunk(slot, texts, ratings, results[slot.group]);
  return results;
}

}  // namespace spct::grm
