// How the orchestrator's step loop reaches the other roles. The loop (train_loop.h) is written once against
// this interface; LocalBackend calls the role objects in this process (layout.colocate), MpiBackend exchanges
// protocol messages with the ranks that play them (core/protocol/messages.h documents the steps).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/metrics.h"
#include "core/protocol/messages.h"

namespace spct::train {

// Seconds each phase of one step took.
struct PhaseTimes {
  double generate = 0;  // the orchestrator's time in generate() (sample_direct(): until the last summary), this step
  double reward = 0;    // the orchestrator's time in score() (sample_direct(): after the last summary), this step
  double learn = 0;     // the learners' update (as learner 0 measured it)
  double sync = 0;      // the weight hand-over to the rollout workers (in asynchronous mode including the wait
                        // for them to finish the next step's groups)
};

// One round of a step's groups, generated and scored, some perhaps still with the rollout workers that
// generated them (core/protocol/messages.h, steps 2-5: the orchestrator then holds their summaries only).
struct SampledGroups {
  std::vector<protocol::GeneratedGroup> groups;   // groups[i] answers items[i]; when holders[i] != 0 only its
                                                  // step, prompt id and policy version (no completions)
  std::vector<protocol::GroupSummary> summaries;  // summaries[i] of groups[i], wherever it is
  std::vector<int> holders;                       // 0: groups[i] is here; else the world rank that keeps it
  std::vector<protocol::RewardResult> results;    // results[i] scores groups[i]
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

  // generate() and score() in one, with the payloads off the orchestrator where the backend can: the rollout
  // workers send each group's request straight to a reward worker and keep the group (holders) until
  // start_learning() or fetch_groups() sends it on. texts[i] is the prompt text of batch.items[i] (the rewards
  // read it). Returns the groups in item order; adds its time to times.generate and times.reward.
  virtual SampledGroups sample_direct(const protocol::PromptBatch& batch, const std::vector<std::string>& texts,
                                      PhaseTimes& times) = 0;

  // generate() then score() with every payload coming here (holders all 0): the route of a step whose groups
  // rank 0 keeps (rollout logs, a colocated run). Calls enter_phase("generate") and ("reward") as each begins,
  // when given; adds their times to times.generate and times.reward.
  SampledGroups sample_here(const protocol::PromptBatch& batch, const std::vector<std::string>& texts,
                            PhaseTimes& times,
                            const std::function<void(std::string_view phase)>& enter_phase = nullptr);

  // Brings every group that a rollout worker keeps (holders[i] != 0) here: groups[i] becomes the whole group and
  // holders[i] 0, for a checkpoint to save it (pending_batch.h).
  virtual void fetch_groups(std::vector<protocol::GeneratedGroup>& groups, std::vector<int>& holders) = 0;

  // Starts the learners' update of step `batch.step` on the groups and their rewards, and returns without
  // waiting for it, so that the caller can collect the next step's groups meanwhile (asynchronous mode): until
  // finish_learning(), generate() samples from the weights before this update. holders[i] as in SampledGroups:
  // a group that a rollout worker keeps goes from there to its learner. Every group of the step that a rollout
  // worker keeps and that is not in `groups` is dropped.
  virtual void start_learning(const protocol::PromptBatch& batch, const std::vector<protocol::GeneratedGroup>& groups,
                              const std::vector<protocol::RewardResult>& results, const std::vector<int>& holders) = 0;

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
