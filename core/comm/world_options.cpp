#include "core/comm/world_options.h"

namespace spct::comm {

WorldOptions world_options(const config::Config& config) {
  return {.layout = config.layout, .timeouts = config.timeouts, .threads = config.run.threads};
}

}  // namespace spct::comm
