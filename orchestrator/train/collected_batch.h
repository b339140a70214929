// What steps 1-4 of a training step produce (train_loop.h): every group sampled and scored for one step, and
// which of them the learners train on. In asynchronous mode a collected batch outlives its step and can be
// carried over by a checkpoint (pending_batch.h).
#pragma once

#include <cstdint>
#include <vector>

#include "core/protocol/messages.h"
#include "orchestrator/train/step_metrics.h"

namespace spct::train {

struct CollectedBatch {
  uint64_t step = 0;
  std::vector<protocol::PromptItem> items;        // every prompt sampled for the step, in sampling order
  std::vector<protocol::GeneratedGroup> groups;   // groups[i] answers items[i] (only its ids when held elsewhere)
  std::vector<protocol::GroupSummary> summaries;  // summaries[i] of groups[i]
  std::vector<int> holders;                       // where groups[i] is: 0 here, else a rollout worker's rank
  std::vector<protocol::RewardResult> results;    // results[i] scores groups[i]
  std::vector<bool> trained;                      // trained[i]: groups[i] goes to the learners
  int64_t refill_rounds = 0;                      // extra generation rounds of dynamic sampling

  // The trained groups as one batch {step, policy version of its first group, items} with their groups and
  // results, in item order.
  struct Training {
    protocol::PromptBatch batch;
    std::vector<protocol::GeneratedGroup> groups;
    std::vector<protocol::RewardResult> results;
    std::vector<int> holders;
  };
  Training training() const;

  // Whether every group is here (the rollout log and a checkpoint's pending batch need them).
  bool all_here() const;

  // The step's figures over every sampled group, trained or not (step_metrics.h).
  StepTally tally() const;
};

}  // namespace spct::train
