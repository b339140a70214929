#include "core/config/config_diff.h"

#include <catch2/catch.hpp>

using spct::config::Config;
using spct::config::config_changes;

TEST_CASE("config changes list every differing key and mark those that define the experiment") {
  Config before;
  Config after = before;
  CHECK(config_changes(before, after).empty());

  after.run.steps = before.run.steps + 10;
  after.grpo.lr = 3e-6;
  after.rollout.group_size = 16;
  after.model.hidden_size = 128;
  const auto changes = config_changes(before, after);
  REQUIRE(changes.size() == 4);
  for (const auto& change : changes) {
    const bool defines_experiment = change.key == "rollout.group_size" || change.key == "model.hidden_size";
    CHECK(change.blocks_resume == defines_experiment);
  }
  const auto group =
      std::find_if(changes.begin(), changes.end(), [](const auto& c) { return c.key == "rollout.group_size"; });
  CHECK(group->describe() == "rollout.group_size: 8 -> 16");
}

TEST_CASE("which keys block a resume") {
  using spct::config::change_blocks_resume;
  CHECK(change_blocks_resume("data.task"));
  CHECK(change_blocks_resume("layout.learners"));
  CHECK(change_blocks_resume("run.seed"));
  CHECK(change_blocks_resume("tokenizer.kind"));
  CHECK_FALSE(change_blocks_resume("run.steps"));
  CHECK_FALSE(change_blocks_resume("timeouts.step_s"));
  CHECK_FALSE(change_blocks_resume("checkpoint.every"));
  // Where the run computes and how it uses memory, not what: a run may move to a GPU or change turn-taking.
  CHECK_FALSE(change_blocks_resume("model.device"));
  CHECK_FALSE(change_blocks_resume("layout.take_turns"));
  CHECK_FALSE(change_blocks_resume("grpo.lr"));
}
