// The rollout log's records of one step (orchestrator/observe/rollout_record.h): every completion of every group
// the step sampled, trained or dropped by dynamic sampling, with its texts decoded and the advantage the
// learners compute from the same rewards (learner/advantages.h, grpo.std_normalize and grpo.advantage_eps),
// and what the rewards said of it (the critiques of its chunk, external rewards' info: RewardResult).
#pragma once

#include <vector>

#include "core/config/config.h"
#include "models/tokenizer/tokenizer.h"
#include "orchestrator/observe/rollout_record.h"
#include "orchestrator/train/collected_batch.h"

namespace spct::train {

std::vector<observe::RolloutRecord> rollout_records(const CollectedBatch& batch, const tokenizer::Tokenizer& tokenizer,
                                                    const config::GrpoSection& grpo);

}  // namespace spct::train
