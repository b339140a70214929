// Cross-field checks of an experiment config: constraints that involve more than one key (batch shapes,
// model shape, rank layout). They run inside load_config, before any model is loaded or rank is started.
#pragma once

#include <string>
#include <vector>

#include "core/config/config.h"

namespace spct::config {

struct CheckFailure {
  std::string message;            // what is inconsistent and how to fix it
  std::vector<std::string> keys;  // the keys involved, so the loader can say where each was set
};

std::vector<CheckFailure> check_consistency(const Config& config);

// Ranks the job needs: 1 orchestrator + workers + learners, or 1 when every role is colocated.
int64_t required_world_size(const Config& config);

}  // namespace spct::config
