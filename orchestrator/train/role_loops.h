// The main loops of the ranks other than the orchestrator in an MPI job: each waits for the orchestrator's
// Control {kBeginStep} and plays its part of the step (mpi_backend.h lists the exchange), until
// Control {kShutdown}. Every wait has the deadline of its phase (core/comm).
#pragma once

#include "core/comm/world.h"
#include "core/config/config.h"
#include "models/tokenizer/tokenizer.h"
#include "models/transformer.h"

namespace spct::train {

// Generates groups for prompt chunks until an empty PromptBatch, then receives the step's new weights.
void run_rollout_rank(comm::World& world, const config::Config& config, const tokenizer::Tokenizer& tokenizer,
                      models::Transformer& policy);

// Scores requests until an empty RewardRequest.
void run_reward_rank(comm::World& world, const config::Config& config, const tokenizer::Tokenizer& tokenizer);

// Trains on its share of groups, all-reduces with the other learners, publishes weights (learner 0) and
// reports a StepReport.
void run_learner_rank(comm::World& world, const config::Config& config, const tokenizer::Tokenizer& tokenizer,
                      models::Transformer& policy);

}  // namespace spct::train
