// run::intra_op_threads: run.threads wins; otherwise one thread for a tiny policy built from the model section,
// this process's share of the cores for anything larger or loaded from a model directory.
#include "orchestrator/run/thread_count.h"

#include <catch2/catch.hpp>

using spct::run::intra_op_threads;

TEST_CASE("intra-op threads: run.threads, one for a tiny policy, else the share of the cores") {
  spct::config::Config config;
  config.model.hidden_size = 64;  // configs/grpo_add.yaml's policy
  CHECK(intra_op_threads(config, 8) == 1);
  config.run.threads = 3;
  CHECK(intra_op_threads(config, 8) == 3);
  config.run.threads = 0;
  config.model.hidden_size = 1024;
  CHECK(intra_op_threads(config, 8) == 8);
  CHECK(intra_op_threads(config, 0) == 1);
  config.model.hidden_size = 64;
  config.model.path = "/models/Qwen2.5-0.5B";  // its width is in the directory, not the section
  CHECK(intra_op_threads(config, 8) == 8);
}
