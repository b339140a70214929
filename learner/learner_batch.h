// What a learner trains on in one step: its share of the step's groups, flattened to one row per completion,
// with the rewards that scored them. Built from protocol messages, so the same learner code serves a colocated
// run (direct calls) and an MPI run (messages).
#pragma once

#include <cstdint>
#include <vector>

#include "core/protocol/messages.h"

namespace spct::learner {

struct LearnerBatch {
  int64_t group_size = 0;
  std::vector<std::vector<int64_t>> prompts;         // per completion (a group's prompt repeated group_size times)
  std::vector<std::vector<int64_t>> completions;     // per completion, generated tokens
  std::vector<double> rewards;                       // per completion, the combined reward
  std::vector<bool> truncated;                       // per completion, hit rollout.max_new_tokens
  std::vector<std::vector<float>> rollout_logprobs;  // per completion, the sampler's log-prob of each token;
                                                     // may be empty (then no importance correction is possible)

  int64_t size() const { return static_cast<int64_t>(completions.size()); }
  int64_t groups() const { return group_size == 0 ? 0 : size() / group_size; }
};

// Joins items, their groups and their reward results (matched by prompt id; any order). Throws spct::Error
// naming the prompt id when one is missing, or when a group's size or reward count differs from group_size.
LearnerBatch make_learner_batch(const std::vector<protocol::PromptItem>& items,
                                const std::vector<protocol::GeneratedGroup>& groups,
                                const std::vector<protocol::RewardResult>& results, int64_t group_size);

// Rows [first_group * group_size, (first_group + count) * group_size): whole groups only.
LearnerBatch slice_groups(const LearnerBatch& batch, int64_t first_group, int64_t count);

}  // namespace spct::learner
