#include "workers/reward/grm_reward/grm_backends.h"

#include "core/error.h"
#include "workers/reward/grm_model/meta_rm.h"
#include "workers/reward/grm_model/model_critique_sampler.h"
#include "workers/reward/grm_remote/remote_critique_sampler.h"

namespace spct::reward {
namespace {

GrmBackends local_backends(const GrmBackendOptions& options) {
  if (options.section.model_path.empty()) {
    throw UsageError("grm.backend is local but grm.model_path is empty: name the GRM's model directory");
  }
  std::unique_ptr<grm::ModelCritiqueSampler> sampler = grm::load_model_critique_sampler(
      options.section.model_path, options.load, grm::ModelSamplerOptions::from_config(options.section, options.seed));
  GrmBackends backends;
  // The sampler owns the tokenizer and outlives the counter: both live in `backends`, the sampler declared first.
  const tokenizer::Tokenizer* tokenizer = &sampler->tokenizer();
  backends.count_tokens = [tokenizer](std::string_view text) {
    return static_cast<int64_t>(tokenizer->encode(text).size());
  };
  backends.sampler = std::move(sampler);
  return backends;
}

}  // namespace

GrmBackends make_grm_backends(const GrmBackendOptions& options) {
  GrmBackends backends;
  // One branch per grm.backend (the schema restricts the names). The remote backend (workers/reward/grm_remote/)
  // adds its branch here.
  if (options.section.backend == config::GrmBackend::kLocal) {
    backends = local_backends(options);
  } else {  // config::GrmBackend::kRemote
    auto remote = std::make_unique<grm::RemoteCritiqueSampler>(
        grm::RemoteSamplerOptions::from_config(options.section, options.seed, options.step_timeout_s));
    const grm::RemoteCritiqueSampler* counted = remote.get();  // owned by `backends`, which owns `totals` too
    backends.totals = [counted] {
      const grm::RemoteCounters c = counted->counters();
      return Metrics{{"grm_remote/requests", static_cast<double>(c.requests)},
                     {"grm_remote/retries", static_cast<double>(c.retries)},
                     {"grm_remote/timeouts", static_cast<double>(c.timeouts)},
                     {"grm_remote/failures", static_cast<double>(c.failures)},
                     {"grm_remote/breaker_trips", static_cast<double>(c.breaker_trips)},
                     {"grm_remote/fast_failures", static_cast<double>(c.fast_failures)},
                     {"grm_remote/breaker_open", static_cast<double>(c.breaker_open)},
                     {"grm_remote/latency_s", c.latency_sum_s}};
    };
    backends.sampler = std::move(remote);
  }
  if (!options.section.meta_model_path.empty()) {
    backends.rater = grm::load_meta_rm_rater(options.section.meta_model_path, options.load);
  }
  return backends;
}

}  // namespace spct::reward
