// The orchestrator's side of an MPI job: reaches the rollout workers, reward workers and learners with the
// protocol messages of core/protocol/messages.h. The per-step exchange (numbered as there, with the end-of-phase
// markers this implementation uses):
//   0. Control {kBeginStep, s} to every other rank.
//   1-2. Prompts go to rollout workers in chunks through a work queue: each worker holds at most two chunks, and
//      gets the next one as soon as it has returned all groups of one, so a fast worker takes more chunks and
//      no worker idles while another has a backlog. Groups come back in any order.
//   3-4. Reward requests go to the reward worker with the fewest outstanding requests (at most
//      kRequestsInFlight each); results come back in any order.
//   (Dynamic sampling repeats 1-4 within the step.)
//   5. Each learner gets a PromptBatch with its share of the groups (whole groups, equal counts), then every
//      group's GeneratedGroup and RewardResult (start_learning).
//   (Asynchronous mode: 1-4 again for step s+1's groups, while the learners update; they come from the
//   weights before the update, since the rollout workers swap weights only after the end-of-step marker.)
//   6-7. An empty PromptBatch ends generation on every rollout worker and an empty RewardRequest ends scoring
//      on every reward worker. The learners update and all-reduce; learner 0 publishes the weights to the
//      rollout workers and every learner answers with a StepReport {s, metrics, weights digest}
//      (finish_learning).
//   8. Every rank joins one all-reduce (max) of its stop request: the step at which the job stops is the same
//      on every rank. Then, when a checkpoint is due, Control {kCheckpoint, s+1} goes to the learners; learner 0
//      writes its files into the staging directory both derive from the config, and every learner answers
//      with the same Control.
// Every receive waits at most timeouts.step_s (core/comm): a rank that stops answering is named and the job
// is aborted.
#pragma once

#include <cstdint>
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
  void start_learning(const protocol::PromptBatch& batch, const std::vector<protocol::GeneratedGroup>& groups,
                      const std::vector<protocol::RewardResult>& results) override;
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
  protocol::PromptBatch started_;  // the step and version of the update start_learning() began (no items)
};

}  // namespace spct::train
