// What a World is told (core/comm/world.h): the settings it reads, in one plain struct whose defaults are those
// of an empty experiment config. world_options() fills it from the config; tests may also set fields directly.
#pragma once

#include <cstdint>

#include "core/config/config.h"

namespace spct::comm {

struct WorldOptions {
  config::LayoutSection layout;      // layout.*: the ranks of each role, and whether they share one process
  config::TimeoutsSection timeouts;  // timeouts.*: the start-up barrier and the heartbeats of stall detection
  int64_t threads = 0;               // run.threads: per rank; 0 = the node's cores over the ranks on it
};

// The options of `config`'s job.
WorldOptions world_options(const config::Config& config);

}  // namespace spct::comm
