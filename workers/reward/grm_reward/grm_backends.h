// What writes and rates critiques for the GRM reward and for `spct eval`, chosen by the grm.* keys.
//
//   grm.backend: local   the GRM at grm.model_path (a Hugging Face directory with its tokenizer), loaded in this
//                        process; critiques are sampled in batches with a KV cache (workers/reward/grm_model/).
//   grm.backend: remote  an OpenAI-compatible completions server (workers/reward/grm_remote/).
//   grm.meta_model_path  when set, the meta RM exported by a `run.job: meta_rm` run rates every critique
//                        (MetaRmRater); empty: plain voting@k.
//
// Ownership: GrmBackends owns what it holds. Thread safety: see each sampler and rater; the GRM reward
// serialises its calls.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "core/config/config.h"
#include "core/metrics.h"
#include "workers/reward/grm/group_scorer.h"
#include "workers/reward/grm_model/model_load_options.h"

namespace spct::reward {

struct GrmBackends {
  std::unique_ptr<grm::CritiqueSampler> sampler;  // never null in a usable GrmBackends
  std::unique_ptr<grm::CritiqueRater> rater;      // the meta RM; null for plain voting
  // Tokens of a critique in the GRM's own vocabulary, for the grm/critique_tokens metric; may be empty.
  std::function<int64_t(std::string_view)> count_tokens;
  // The backend's running totals (remote: grm_remote/requests, retries, timeouts, failures, breaker_trips,
  // fast_failures, breaker_open, latency_s), each a count or a sum so that the GRM reward can report what one
  // group added; may be empty.
  std::function<Metrics()> totals;
};

// What make_grm_backends is told; reward_worker_options.h fills it from the config (grm_backend_options).
struct GrmBackendOptions {
  config::GrmSection section;   // grm.*: the backend, its model directories or server, the critiques' length
  grm::ModelLoadOptions load;   // how the GRM's and the meta RM's directories are loaded
  uint64_t seed = 1;            // run.seed: the critiques' sampling seeds
  double step_timeout_s = 600;  // timeouts.step_s: the remote backend reports a wait every quarter of it
};

// Builds the backends `options.section` names. Throws spct::UsageError for a missing grm.model_path (backend local)
// and spct::InputError for a model directory that cannot be loaded.
GrmBackends make_grm_backends(const GrmBackendOptions& options);

}  // namespace spct::reward
