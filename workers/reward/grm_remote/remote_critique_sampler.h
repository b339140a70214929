// The remote CritiqueSampler: critiques written by a GRM behind an OpenAI-compatible completions server
// (vLLM, SGLang, llama.cpp server, or `spct serve`), reached over HTTP.
//
// Each generate() call groups identical prompts (the k samples of one chunk are distinct prompts, but
// rejective fine-tuning asks N critiques of one prompt) and sends one POST {base}/v1/completions per distinct
// prompt with n = its count: {"model", "prompt", "max_tokens", "temperature", "n", "seed", and with stop
// strings "stop" and "include_stop_str_in_output": true (vLLM's extension, so a critique keeps the "}" that
// closes its scores, as with the local GRM; a server that ignores it returns the text without it)}; the
// choices[].text come back in choices[].index order. At most `concurrency` requests are in flight at once, each
// on its own keep-alive connection. Distinct prompt j of call c sends seed derive_seed(derive_seed(seed, c), j),
// so a run against a server that honours seeds is reproducible.
//
// Failures. A request is retried (up to `retries` more attempts, waiting backoff_initial_s x 2^attempt capped
// at backoff_max_s, times a random factor in [0.5, 1.5) so many workers do not retry in step) after a 5xx
// status, a timeout (no complete response within timeout_s), a refused or lost connection, or a response cut
// short. A 4xx status (bad request, missing token) or a 200 whose body is not a completions response is not
// retried: the server answered and will answer the same again. A circuit breaker (circuit_breaker.h) watches
// the retryable failures: after `breaker.failures` in a row it opens, and every attempt fails at once, unsent,
// until a probe after `breaker.cooldown_s` finds the server answering again; so an outage costs a few
// timeouts, not every request's. A prompt whose request still fails (or is refused) then gets the fallback:
//   kFail        generate() throws spct::Error naming the URL, the failure and the attempts; the step fails.
//   kUnparsable  its critiques become a text naming the failure, without a \boxed{} score, so the GRM's
//                parse fallback (grm.parse_fallback) applies as for any unparsable critique.
// With kFail the first failure stops the requests not yet started. Every message names the endpoint.
//
// Waiting. While generate() waits on the server, it logs a warning every `report_every_s` seconds naming the
// endpoint and the prompts still unanswered, so that a step that stalls on the GRM says so in the reward
// worker's log, before the step deadline ends the job.
//
// Thread safety: generate() may be called from several threads (its counters are atomic); counters() and
// metrics() from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/config/remote_grm_budget.h"
#include "core/http/http_client.h"
#include "core/http/url.h"
#include "core/metrics.h"
#include "workers/reward/grm/group_scorer.h"
#include "workers/reward/grm_remote/circuit_breaker.h"

namespace spct::grm {

struct RemoteSamplerOptions {
  enum class Fallback { kFail, kUnparsable };

  http::Url url;              // the server; requests go to url.base_path + "/v1/completions"
  std::string model = "grm";  // the "model" field (the name the server serves the GRM under)
  double timeout_s = 120;     // one request: connecting, sending, and the whole response
  int retries = 3;            // further attempts after a retryable failure
  int concurrency = 4;        // requests in flight at once, >= 1
  std::string api_key;        // sent as "Authorization: Bearer <api_key>"; empty: no header
  Fallback fallback = Fallback::kFail;
  int64_t max_tokens = 256;       // longest critique, in tokens
  std::vector<std::string> stop;  // stop strings
  uint64_t seed = 0;
  double backoff_initial_s = config::kRemoteBackoffInitialS;
  double backoff_max_s = config::kRemoteBackoffMaxS;
  CircuitBreaker::Options breaker;
  double report_every_s = 0;  // log the wait on the server every this many seconds; 0: never

  // From grm.remote_url, remote_model, remote_timeout_s, remote_retries, remote_concurrency, remote_fallback,
  // remote_breaker_failures, remote_breaker_cooldown_s, max_new_tokens and stop of `grm`, and `seed` (run.seed);
  // report_every_s is a quarter of `step_timeout_s` (timeouts.step_s). The token comes from the environment variable
  // grm.remote_api_key_env. Throws spct::UsageError for an empty or malformed grm.remote_url, or when
  // grm.remote_api_key_env names a variable that is not set.
  static RemoteSamplerOptions from_config(const config::GrmSection& grm, uint64_t seed, double step_timeout_s);
};

// What the sampler did so far. Latency counts successful requests only.
struct RemoteCounters {
  int64_t requests = 0;  // HTTP requests sent, retries included
  int64_t retries = 0;   // of which retries
  int64_t timeouts = 0;  // requests that timed out
  int64_t failures = 0;  // distinct prompts that failed after every attempt (the fallback applied)
  int64_t succeeded = 0;
  int64_t breaker_trips = 0;  // times the circuit breaker opened (failed probes included)
  int64_t fast_failures = 0;  // attempts refused by the open breaker, never sent
  int64_t breaker_open = 0;   // generate() calls that ended with the breaker open or half-open
  double latency_sum_s = 0;
  double latency_max_s = 0;
};

class RemoteCritiqueSampler final : public CritiqueSampler {
 public:
  // Throws spct::UsageError when concurrency < 1, retries < 0, timeout_s <= 0, max_tokens < 1,
  // breaker.failures < 0 or breaker.cooldown_s <= 0.
  explicit RemoteCritiqueSampler(const RemoteSamplerOptions& options);

  // One critique per prompt, in order (see the file comment for batching, retries and the fallback).
  std::vector<std::string> generate(const std::vector<std::string>& prompts, double temperature) override;

  RemoteCounters counters() const;
  // The counters as metrics: grm_remote/requests, retries, timeouts, failures, breaker_trips, fast_failures,
  // breaker_open, latency_mean_s, latency_max_s.
  Metrics metrics() const;
  CircuitBreaker::State breaker_state() const { return breaker_.state(); }

  // "http://host:port/base/v1/completions", for messages.
  const std::string& endpoint() const { return endpoint_; }

 private:
  struct Job;
  // Sends one distinct prompt with retries; fills its critiques or throws the final failure.
  std::vector<std::string> complete(const Job& job, double temperature, const std::atomic<bool>& abandon);
  // One attempt; returns the n texts or throws (HttpError for transport failures, spct::Error otherwise).
  std::vector<std::string> request_once(const std::string& body, int n);

  const RemoteSamplerOptions options_;
  const std::string target_;    // url.base_path + "/v1/completions"
  const std::string endpoint_;  // for messages
  http::HttpClient client_;
  CircuitBreaker breaker_;
  std::atomic<uint64_t> calls_{0};

  std::atomic<int64_t> requests_{0};
  std::atomic<int64_t> retries_{0};
  std::atomic<int64_t> timeouts_{0};
  std::atomic<int64_t> failures_{0};
  std::atomic<int64_t> succeeded_{0};
  std::atomic<int64_t> fast_failures_{0};
  std::atomic<int64_t> latency_sum_us_{0};
  std::atomic<int64_t> latency_max_us_{0};
  std::atomic<int64_t> ended_open_{0};
};

}  // namespace spct::grm
