// The HTTP routes of `spct serve` (tensor-free): the OpenAI-compatible API in front of whatever completes
// requests (a CompletionEngine in the binary, a scripted function in tests).
//
//   GET  /health          200 {"status": "ok"}, never behind the token (for load balancers and scripts)
//   GET  /v1/models       {"object": "list", "data": [{"id": <model name>, "object": "model", ...}]}
//   POST /v1/completions  see completion_api.h
// With an API key, the /v1 routes need "Authorization: Bearer <key>" (401 otherwise). Errors are JSON
// {"error": {"message", "code"}}: 400 for a bad request, 404 for an unknown path or model name, 405 for a
// wrong method, 500 when completing fails. Every refusal is logged (info: method, path, status, message; the
// client's text escaped by http::escape_for_log).
//
// Thread safety: handle() is called from the server's handler threads at once; the completer must be
// thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "core/http/message.h"
#include "orchestrator/serve/completion_api.h"

namespace spct::serve {

using Completer = std::function<CompletionResult(const CompletionRequest&)>;

struct RoutesOptions {
  std::string model_name;  // what /v1/models lists and responses name
  std::string api_key;     // empty: no authentication
  ApiLimits limits;
};

class CompletionRoutes {
 public:
  CompletionRoutes(RoutesOptions options, Completer completer);

  http::Response handle(const http::Request& request);

 private:
  bool authorized(const http::Request& request) const;
  http::Response completions(const http::Request& request);

  const RoutesOptions options_;
  const Completer completer_;
  std::atomic<uint64_t> next_id_{0};
};

}  // namespace spct::serve
