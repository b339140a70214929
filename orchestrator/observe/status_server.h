// The orchestrator's HTTP status endpoint (observe.status_port): a read-only view of the running job.
//
//   GET /status    the run's state as JSON (run_status.h: status_json)
//   GET /metrics   the same in Prometheus text format, for scraping (run_status.h: prometheus_text)
// Any other method gets 405, any other path 404.
//
// Built on core/http's HttpServer (its own io thread, deadlines on every connection); the status comes from a
// callback at each request, so the endpoint always shows the latest step without the step loop doing any work.
//
// Thread safety: `source` is called from the server's handler threads and must be thread-safe
// (RunMonitor::status() is). The destructor stops the server and waits for running requests.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/config/config.h"
#include "core/http/message.h"
#include "orchestrator/observe/run_status.h"

namespace spct::http {
class HttpServer;
}

namespace spct::observe {

// The answer to `request` given the current `status`: the routing above, without sockets.
http::Response status_endpoint_response(const http::Request& request, const RunStatus& status);

// Checks, before any rank starts, that the endpoint `config` asks for could listen now: listens on
// observe.status_host:observe.status_port and lets go at once. Does nothing when observe.status_port is 0 (no
// endpoint). Throws spct::UsageError naming the keys, the address and the reason (e.g. the port is taken), so a
// busy port ends `spct train` with exit 2 at once instead of failing rank 0 once every rank has started. The
// port is free again when this returns; another process could take it before the job's own endpoint listens.
void check_status_endpoint(const config::Config& config);

class StatusServer {
 public:
  using StatusSource = std::function<RunStatus()>;

  // Listens on host:port (port 0 picks a free one, see port()). Throws spct::UsageError naming
  // observe.status_host and observe.status_port when the address is invalid or the port is taken.
  StatusServer(const std::string& host, uint16_t port, StatusSource source);
  ~StatusServer();

  StatusServer(const StatusServer&) = delete;
  StatusServer& operator=(const StatusServer&) = delete;

  // The port listened on.
  uint16_t port() const;

 private:
  const StatusSource source_;
  std::unique_ptr<http::HttpServer> server_;  // last: stopped before source_ goes away
};

}  // namespace spct::observe
