// Every role in this process (layout.colocate: true): the policy the learner trains is the very model the
// rollout worker samples from, so weight sync is free and the policy version is the step count. With
// layout.take_turns the rollout engine and the learner take turns on device memory (turn_taking.h): generate()
// sends the learner's optimizer state to the host and releases its gradients; the update brings them back.
// On a GPU each step's metrics carry the generation's and the update's peak device memory
// (perf/gpu_generate_peak_mib, perf/gpu_learn_peak_mib), with turn-taking or without.
#pragma once

#include <memory>
#include <optional>

#include "core/config/config.h"
#include "learner/grpo_learner.h"
#include "orchestrator/train/step_backend.h"
#include "workers/reward/reward_worker.h"
#include "workers/rollout/rollout_worker.h"

namespace spct::train {

class LocalBackend final : public StepBackend {
 public:
  // `tokenizer` must outlive the backend; the backend owns the policy.
  LocalBackend(const config::Config& config, const tokenizer::Tokenizer& tokenizer,
               std::unique_ptr<models::Transformer> policy);

  void begin_step(uint64_t) override {}
  std::vector<protocol::GeneratedGroup> generate(const protocol::PromptBatch& batch) override;
  std::vector<protocol::RewardResult> score(const std::vector<protocol::RewardRequest>& requests) override;
  SampledGroups sample_direct(const protocol::PromptBatch& batch, const std::vector<std::string>& texts,
                              PhaseTimes& times) override;
  void fetch_groups(std::vector<protocol::GeneratedGroup>&, std::vector<int>&) override {}  // every group is here
  // The update runs in finish_learning(): with one process there is nothing to overlap, but generate() between
  // the two calls still samples from the weights before the update, as in an MPI job.
  void start_learning(const protocol::PromptBatch& batch, const std::vector<protocol::GeneratedGroup>& groups,
                      const std::vector<protocol::RewardResult>& results, const std::vector<int>& holders) override;
  Metrics finish_learning(PhaseTimes& times) override;
  bool agree_to_stop(bool requested) override { return requested; }
  void write_checkpoint(uint64_t step, const std::filesystem::path& dir) override;
  void shutdown(uint64_t) override {}

  // Continues from a checkpoint of `step` steps: the policy, the learner's state and the policy version.
  void restore(const std::filesystem::path& checkpoint, uint64_t step);

  // Whether the engine and the learner take turns on memory (layout.take_turns resolved for the policy's device).
  bool takes_turns() const { return take_turns_; }
  // The learner, whose state offloaded() reports where it is between the phases (tests).
  const learner::GrpoLearner& learner() const { return learner_; }

 private:
  const int64_t group_size_;
  std::unique_ptr<models::Transformer> policy_;
  rollout::RolloutWorker rollout_;
  reward::RewardWorker reward_;
  learner::GrpoLearner learner_;
  const bool take_turns_;
  bool announced_turns_ = false;  // the first offload is logged with its size
  int64_t generate_peak_ = 0;     // bytes, the last generate()'s peak on a GPU
  const std::filesystem::path tokenizer_source_;
  uint64_t policy_version_ = 0;
  std::optional<learner::LearnerBatch> started_;  // the batch start_learning() was given
  int64_t started_step_ = 0;
};

}  // namespace spct::train
