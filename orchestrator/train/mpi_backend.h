// The orchestrator's side of an MPI job: reaches the rollout workers, reward workers and learners with the
// protocol messages of core/protocol/messages.h, in the order written there (steps 0-8; this file's functions
// are those steps: begin_step 0, generate 1-2, score 3-4, sample_direct 1-4 with the payloads off this rank,
// start_learning 5, finish_learning 6-7, agree_to_stop, fetch_groups and write_checkpoint 8, shutdown). Every
// receive waits at most timeouts.step_s (core/comm): a rank that stops answering is named and the job is aborted.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "core/comm/world.h"
#include "orchestrator/train/step_backend.h"

namespace spct::train {

class MpiBackend final : public StepBackend {
 public:
  // `world` must outlive the backend. REQUIRES: this is rank 0 of a job laid out by `world`.
  MpiBackend(comm::World& world, const config::Config& config);

  void begin_step(uint64_t step) override;
  std::vector<protocol::GeneratedGroup> generate(const protocol::PromptBatch& batch) override;
  std::vector<protocol::RewardResult> score(const std::vector<protocol::RewardRequest>& requests) override;
  SampledGroups sample_direct(const protocol::PromptBatch& batch, const std::vector<std::string>& texts,
                              PhaseTimes& times) override;
  void fetch_groups(std::vector<protocol::GeneratedGroup>& groups, std::vector<int>& holders) override;
  void start_learning(const protocol::PromptBatch& batch, const std::vector<protocol::GeneratedGroup>& groups,
                      const std::vector<protocol::RewardResult>& results, const std::vector<int>& holders) override;
  Metrics finish_learning(PhaseTimes& times) override;
  bool agree_to_stop(bool requested) override;
  void write_checkpoint(uint64_t step, const std::filesystem::path& dir) override;
  void shutdown(uint64_t steps_completed) override;

 private:
  void send_to_all_workers(const protocol::Message& message);

  comm::World& world_;
  comm::MpiCommunicator& comm_;
  const std::vector<int> rollout_ranks_;
  const std::vector<int> reward_ranks_;
  const std::vector<int> learner_ranks_;
  const bool verify_learner_sync_;
  uint64_t learning_step_ = 0;                 // the step whose update start_learning() began
  std::map<uint64_t, std::set<int>> keepers_;  // step -> the rollout workers that keep groups of it
};

}  // namespace spct::train
