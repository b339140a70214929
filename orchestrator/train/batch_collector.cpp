#include "orchestrator/train/batch_collector.h"

#include "learner/advantages.h"

namespace spct::train {
namespace {

// Dynamic sampling gives up after this many extra generation rounds in one step; the step then trains on the
// informative groups it has (rounded down to whole learner shards).
constexpr int64_t kMaxRefillRounds = 4;

}  // namespace

CollectedBatch collect_batch(uint64_t step, const config::Config& config, StepBackend& backend,
                             data::PromptStream& stream, PromptEncoder& encoder, observe::RunMonitor& monitor,
                             PhaseTimes& times, bool keep_here) {
  const auto wanted = static_cast<std::size_t>(config.rollout.prompts_per_step);
  CollectedBatch collected;
  collected.step = step;
  std::size_t informative = 0;
  for (int64_t round = 0;; ++round) {
    protocol::PromptBatch prompts{step, 0, {}, 0, {}};
    std::vector<std::string> texts;
    for (const data::PromptItem& item : stream.next_batch(wanted - informative)) {
      auto [encoded, text] = encoder.encode(item);
      prompts.items.push_back(std::move(encoded));
      texts.push_back(std::move(text));
    }
    SampledGroups sampled;
    if (keep_here) {
      sampled = backend.sample_here(prompts, texts, times, [&](std::string_view phase) { monitor.set_phase(phase); });
    } else {
      monitor.set_phase("generate and reward");
      sampled = backend.sample_direct(prompts, texts, times);
    }
    std::vector<protocol::GeneratedGroup>& groups = sampled.groups;
    std::vector<protocol::RewardResult>& results = sampled.results;

    for (std::size_t i = 0; i < groups.size(); ++i) {
      // A group whose reward was dropped (workers/reward/reward_worker.h) has no rewards and is never trained on.
      const bool keep = !results[i].rewards.empty() &&
                        (!config.grpo.dynamic_sampling || !learner::is_zero_variance(results[i].rewards));
      informative += keep ? 1 : 0;
      collected.items.push_back(std::move(prompts.items[i]));
      collected.groups.push_back(std::move(groups[i]));
      collected.summaries.push_back(std::move(sampled.summaries[i]));
      collected.holders.push_back(sampled.holders[i]);
      collected.results.push_back(std::move(results[i]));
      collected.trained.push_back(keep);
    }
    collected.refill_rounds = round;
    if (!config.grpo.dynamic_sampling || informative >= wanted || round >= kMaxRefillRounds) break;
  }
  // A refill that ran out of rounds keeps whole learner shards only: the last groups beyond them are dropped.
  const int64_t shard =
      config.layout.colocate ? config.grpo.minibatches : config.layout.learners * config.grpo.minibatches;
  auto surplus = static_cast<std::size_t>(static_cast<int64_t>(informative) % shard);
  for (std::size_t i = collected.trained.size(); i-- > 0 && surplus > 0;) {
    if (collected.trained[i]) {
      collected.trained[i] = false;
      --surplus;
    }
  }
  return collected;
}

}  // namespace spct::train
