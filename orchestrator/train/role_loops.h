// The main loops of the ranks other than the orchestrator in an MPI job: each waits for the orchestrator's
// Control {kBeginStep} and plays its part of the step (core/protocol/messages.h lists the exchange), joins the stop
// agreement that ends every step, until Control {kShutdown, n}, where n is the number of steps the run
// completed (fewer than run.steps when it stopped on a signal). Every wait has the deadline of its phase
// (core/comm).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

#include "core/comm/world.h"
#include "core/config/config.h"
#include "models/tokenizer/tokenizer.h"
#include "models/transformer.h"

namespace spct::train {

// Where a rank's part of the run starts: step 0, or the checkpoint a resumed run continues from.
struct RoleStart {
  int64_t step = 0;
  std::optional<std::filesystem::path> checkpoint;
};

// Generates groups for prompt chunks until Control {kEndGeneration}, then receives the step's new weights. On
// the direct route it sends each group's reward request straight to the chunk's reward worker and keeps the
// group until a ForwardList sends it to a learner (or rank 0). A resumed run's first weights come from learner 0
// (which loaded them), as a warm start's do. Returns the number of steps the run completed.
uint64_t run_rollout_rank(comm::World& world, const config::Config& config, const tokenizer::Tokenizer& tokenizer,
                          models::Transformer& policy, const RoleStart& start);

// Scores requests, from rank 0 or the rollout workers, until Control {kEndScoring}. Returns the number of steps
// the run completed.
uint64_t run_reward_rank(comm::World& world, const config::Config& config, const tokenizer::Tokenizer& tokenizer);

// Trains on its share of groups (from rank 0 or straight from the rollout workers), all-reduces with the other
// learners, publishes weights (learner 0) and reports a StepReport; writes checkpoints when told (learner 0; the
// others acknowledge). Restores the checkpoint of `start` instead of warm-starting. Returns the number of steps the run
// completed.
uint64_t run_learner_rank(comm::World& world, const config::Config& config, const tokenizer::Tokenizer& tokenizer,
                          models::Transformer& policy, const RoleStart& start);

}  // namespace spct::train
