// How long a reward worker can wait on a remote GRM server that does not answer (grm.backend remote), and the
// retry backoff that goes into it. The remote sampler (workers/reward/grm_remote/) retries with this backoff;
// core/config/checks.cpp rejects a config whose wait cannot end within timeouts.step_s, because a reward worker
// still waiting at the step deadline ends the job with a stall report instead of the failure or fallback
// (grm.remote_fallback) the config asked for.
//
// The bound. One attempt lasts at most grm.remote_timeout_s (connecting included). A request is tried
// remote_retries + 1 times; against a server that never answers, each thread of the sampler makes at most
// remote_breaker_failures attempts before the circuit breaker opens and every later attempt fails at once.
// So no GRM pass waits longer than max(remote_retries + 1, remote_breaker_failures) attempts plus the longest
// backoff between them. (With the breaker off, that holds for one request; a pass of many requests that each
// exhaust their retries can take longer, which the breaker exists to prevent.)
#pragma once

#include <cstdint>

#include "core/config/config.h"

namespace spct::config {

// Exponential backoff with jitter: retry a (0-based: a = 0 after the first failure) waits
// min(kBackoffMaxS, kBackoffInitialS x 2^a) times a random factor in [1 - kBackoffJitter, 1 + kBackoffJitter).
inline constexpr double kRemoteBackoffInitialS = 0.25;
inline constexpr double kRemoteBackoffMaxS = 8;
inline constexpr double kRemoteBackoffJitter = 0.5;

// The longest wait before retry `attempt`, jitter included.
double remote_backoff_bound_s(int64_t attempt);

// Attempts one GRM pass can wait through on a server that never answers (see above).
int64_t remote_hang_attempts(const GrmSection& grm);

// remote_hang_attempts x grm.remote_timeout_s plus the longest backoff between those attempts, in seconds.
double remote_hang_bound_s(const GrmSection& grm);

}  // namespace spct::config
