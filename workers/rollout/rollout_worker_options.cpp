#include "workers/rollout/rollout_worker_options.h"

#include "core/config/config.h"

namespace spct::rollout {

RolloutWorkerOptions rollout_worker_options(const config::Config& config) {
  const config::RolloutSection& r = config.rollout;
  return {.seed = static_cast<uint64_t>(config.run.seed),
          .temperature = r.temperature,
          .top_k = r.top_k,
          .top_p = r.top_p,
          .max_new_tokens = r.max_new_tokens,
          .stop = r.stop,
          .share_prefixes = r.share_prefixes,
          .max_sequences = r.max_sequences,
          .kv_budget_tokens = r.kv_budget_tokens,
          .kv_block_tokens = r.kv_block_tokens};
}

}  // namespace spct::rollout
