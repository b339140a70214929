// How the orchestrator's step loop reaches the other roles. The loop (train_loop.h) is written once against
// this interface; LocalBackend calls the role objects in this process (layout.colocate), MpiBackend exchanges
// protocol messages with the ranks that play them (core/protocol/messages.h documents the steps).
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "core/metrics.h"
#include "core/protocol/messages.h"

namespace spct::train {

// Seconds each phase of one step took.
struct PhaseTimes {
  double generate = 0;  // the orchestrator's time in generate(), this step
  double reward = 0;    // the orchestrator's time in score(), this step
  double learn = 0;     // the learners' update (as learner 0 measured it)
  double sync = 0;      // the weight hand-over to the rollout workers (in asynchronous mode including the wait
                        // for them to finish the next step's groups)
};

class StepBackend {
 public:
  virtual ~StepBackend() = default;

  // Announces step `step` to every role; called before the step's first generate().
  virtual void begin_step(uint64_t step) = 0;

  // Generates one group per item of `batch`; returns them in item order.
  virtual std::vector<protocol::GeneratedGroup> generate(const protocol::PromptBatch& batch) = 0;

  // Scores every request; returns the results in request order.
  virtual std::vector<protocol::RewardResult> score(const std::vector<protocol::RewardRequest>& requests) = 0;

  // Starts the learners' update of step `batch.step` on the groups and their rewards, and returns without
  // waiting for it, so that the caller can collect the next step's groups meanwhile (asynchronous mode): until
  // finish_learning(), generate() samples from the weights before this update.
  virtual void start_learning(const protocol::PromptBatch& batch, const std::vector<protocol::GeneratedGroup>& groups,
                              const std::vector<protocol::RewardResult>& results) = 0;

  // Waits for the update start_learning() began, then makes the new weights the rollout workers' policy.
  // Returns the learners' metrics; fills the learn and sync times.
  virtual Metrics finish_learning(PhaseTimes& times) = 0;

  // Combines every rank's stop request (a signal may reach any one rank, core/stop_signal.h): true on every
  // rank when any rank asked. Called once per step, after finish_learning().
  virtual bool agree_to_stop(bool requested) = 0;

  // Has the learners write their part of the checkpoint of `step` (steps completed) into `dir`, the staging
  // directory (learner/learner_checkpoint.h); returns once it is written.
  virtual void write_checkpoint(uint64_t step, const std::filesystem::path& dir) = 0;

  // Tells every role the run is over after `steps_completed` steps (fewer than run.steps when it stopped on a
  // signal). Called once, last.
  virtual void shutdown(uint64_t steps_completed) = 0;
};

}  // namespace spct::train
