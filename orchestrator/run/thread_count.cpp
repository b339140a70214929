#include "orchestrator/run/thread_count.h"

#include <algorithm>

namespace spct::run {

namespace {
// Below this width a policy's matmuls are too small to split across threads (thread_count.h).
constexpr int64_t kTinyHiddenSize = 256;
}  // namespace

int intra_op_threads(const config::Config& config, int share) {
  if (config.run.threads > 0) return static_cast<int>(config.run.threads);
  if (config.model.path.empty() && config.model.hidden_size < kTinyHiddenSize) return 1;
  return std::max(1, share);
}

}  // namespace spct::run
