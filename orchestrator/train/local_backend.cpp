#include "orchestrator/train/local_backend.h"

#include <chrono>

#include "core/log.h"
#include "learner/learner_checkpoint.h"
#include "orchestrator/train/device_memory.h"
#include "orchestrator/train/policy_setup.h"
#include "orchestrator/train/turn_taking.h"

namespace spct::train {

LocalBackend::LocalBackend(const config::Config& config, const tokenizer::Tokenizer& tokenizer,
                           std::unique_ptr<models::Transformer> policy)
    : group_size_(config.rollout.group_size),
      policy_(std::move(policy)),
      rollout_(rollout::rollout_worker_options(config), tokenizer, *policy_),
      reward_(reward::reward_worker_options(config), tokenizer),
      learner_(learner::grpo_learner_options(config), *policy_, nullptr),
      take_turns_(train::takes_turns(config.layout.take_turns, policy_->device().is_cuda())),
      tokenizer_source_(tokenizer_source_of(config)) {}

void LocalBackend::write_checkpoint(uint64_t, const std::filesystem::path& dir) {
  learner::save_learner_checkpoint(learner_, *policy_, dir, tokenizer_source_);
}

void LocalBackend::restore(const std::filesystem::path& checkpoint, uint64_t step) {
  learner::load_learner_checkpoint(learner_, *policy_, checkpoint);
  policy_version_ = step;
}

std::vector<protocol::GeneratedGroup> LocalBackend::generate(const protocol::PromptBatch& batch) {
  const at::Device device = policy_->device();
  // The engine's turn: the learner's state goes to the host until the next update (GrpoLearner::step reloads it).
  if (take_turns_ && !learner_.offloaded()) {
    const int64_t bytes = learner_.offloaded_bytes();
    learner_.offload();
    if (!announced_turns_) {
      spdlog::info(
          "layout.take_turns: the learner's optimizer state and gradients ({} MiB) leave the {} while the "
          "policy generates",
          bytes >> 20, device.str());
      announced_turns_ = true;
    }
  }
  if (take_turns_) release_free_blocks(device);
  reset_peak_memory(device);
  std::vector<protocol::GeneratedGroup> groups = rollout_.generate(batch, policy_version_);
  generate_peak_ = peak_allocated_bytes(device);
  // The engine's KV cache was freed when generate() returned; its blocks go back before the reward and the update.
  if (take_turns_) release_free_blocks(device);
  return groups;
}

std::vector<protocol::RewardResult> LocalBackend::score(const std::vector<protocol::RewardRequest>& requests) {
  // One GRM critique pass for the whole step (reward_worker.h: Batching).
  return reward_.score_batch(requests);
}

SampledGroups LocalBackend::sample_direct(const protocol::PromptBatch& batch, const std::vector<std::string>& texts,
                                          PhaseTimes& times) {
  return sample_here(batch, texts, times);  // one process: the groups are here whichever route
}

void LocalBackend::start_learning(const protocol::PromptBatch& batch,
                                  const std::vector<protocol::GeneratedGroup>& groups,
                                  const std::vector<protocol::RewardResult>& results, const std::vector<int>&) {
  started_step_ = static_cast<int64_t>(batch.step);
  started_.reset();
  if (!groups.empty()) started_ = learner::make_learner_batch(batch.items, groups, results, group_size_);
}

Metrics LocalBackend::finish_learning(PhaseTimes& times) {
  if (!started_) return {};
  const auto start = std::chrono::steady_clock::now();
  const at::Device device = policy_->device();
  reset_peak_memory(device);
  Metrics metrics = learner_.step(*started_, started_step_);  // reloads the state first when turns are taken
  if (device.is_cuda()) {
    metrics["perf/gpu_generate_peak_mib"] = static_cast<double>(generate_peak_) / (1 << 20);
    metrics["perf/gpu_learn_peak_mib"] = static_cast<double>(peak_allocated_bytes(device)) / (1 << 20);
  }
  started_.reset();
  times.learn = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  times.sync = 0;  // the rollout worker samples from the learner's own model
  ++policy_version_;
  return metrics;
}

}  // namespace spct::train
