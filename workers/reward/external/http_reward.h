// The `http` reward kind: a JSON reward endpoint in the shape of OpenRLHF's --remote_rm_url, reached through
// spct's HTTP client (core/http: keep-alive pool, per-request deadline). For each group it POSTs
//   {"query": [prompt + completion, ...], "prompts": [prompt, ...], "labels": [answer, ...],
//    "completions": [completion, ...], "metadata": {...as the command kind...}}
// and reads {"rewards": [number, one per completion]} ("scores" is accepted as well), so a server written for
// OpenRLHF works unchanged. A connection failure, a deadline passed (timeout_s), a status other than 200 or a
// body that is not such an answer throws RewardFailure naming the reward, the URL and an excerpt of the body;
// RewardWorker retries the group with backoff (external_reward.h's policy).
//
// Thread safety: score() may be called from several threads; at most `concurrency` requests are in flight.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "core/http/http_client.h"
#include "core/http/url.h"
#include "workers/reward/external/external_reward.h"

namespace spct::reward {

class HttpReward final : public ExternalReward {
 public:
  // Connects lazily. Throws spct::UsageError for a URL that is not http://host[:port][/path].
  HttpReward(std::string name, const std::string& url, const ExternalOptions& options);

  ExternalScores score(const ExternalGroup& group) override;

 private:
  HttpReward(std::string name, const std::string& url, const http::Url& parsed, const ExternalOptions& options);

  const std::string name_;
  const std::string url_;
  const std::string target_;  // the URL's path, "/" when it has none
  const ExternalOptions options_;
  http::HttpClient client_;
  std::mutex mutex_;  // guards in_flight_
  std::condition_variable slot_free_;
  int64_t in_flight_ = 0;
};

}  // namespace spct::reward
