// What the learner tests share (this directory and tests/unit/checkpoint): a one-layer model small enough for
// exact gradient comparisons, and one step's batch of two groups of three completions with different lengths
// (so a pass's longest completion can be shorter than the minibatch's) and two truncated completions.
#pragma once

#include "core/config/config.h"
#include "learner/learner_batch.h"

namespace spct::test {

// A 16-wide, one-layer model over a 12-token vocabulary; groups of 3, completions of at most 4 tokens.
inline config::Config tiny_learner_config() {
  config::Config config;
  config.model.hidden_size = 16;
  config.model.num_layers = 1;
  config.model.num_heads = 2;
  config.model.num_kv_heads = 1;
  config.model.intermediate_size = 32;
  config.model.max_position = 32;
  config.rollout.group_size = 3;
  config.rollout.max_new_tokens = 4;
  config.grpo.lr = 1e-2;
  return config;
}

inline constexpr int64_t kTinyVocab = 12;

inline learner::LearnerBatch tiny_batch() {
  learner::LearnerBatch b;
  b.group_size = 3;
  b.prompts = {{1, 2}, {1, 2}, {1, 2}, {3, 4, 5}, {3, 4, 5}, {3, 4, 5}};
  b.completions = {{6}, {7, 8, 9, 10}, {2, 2}, {11, 1}, {5}, {9, 8, 7, 6}};
  b.rewards = {1, 0, 0.5, 0, 1, 1};
  b.truncated = {false, true, false, false, false, true};
  return b;
}

}  // namespace spct::test
