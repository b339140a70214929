// A small HTTP/1.1 server for spct's own endpoints (`spct serve`, the run status endpoint).
//
// Threads: one io thread does every socket operation asynchronously (accept, read, write, timeouts), so a slow
// or stalled client never blocks another. Complete requests go to a pool of `handler_threads` threads that run
// the handler; a handler may block (a model generating) without stopping the io thread, and up to
// handler_threads requests are handled at once (which is what lets `spct serve` batch concurrent requests).
//
// Per connection: requests are read one at a time (keep-alive and pipelining: the next request is read after
// the previous response is written). Each request must arrive completely within read_timeout_s of the server
// starting to wait for it (this also bounds an idle keep-alive connection and a client trickling bytes);
// each response must be written within write_timeout_s; past a deadline the connection is closed. A request
// that breaks HTTP/1.1 or a size limit gets 400 / 413 / 431 with the reason in a JSON body and the connection
// is closed. A handler that throws gets 500 with the exception's message, and a warning in the log (request
// text escaped by escape_for_log, log_text.h). Nothing a client sends can crash
// the server or hold a connection past its deadlines.
//
// Connection limit: at most max_connections are open. A connection accepted at the limit takes the place of
// the one idle longest (open, waiting for a request of which no byte has arrived: closing it loses no work, and
// HTTP clients resend on a fresh connection); only when none is idle is the new connection closed. So idle
// keep-alive connections, however many a client leaves open, never lock others out until read_timeout_s.
//
// Thread safety: the handler is called from several threads at once and must be thread-safe. stop() may be
// called from any thread, once or more; the destructor calls it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/http/message.h"
#include "core/http/request_parser.h"

namespace spct::http {

using Handler = std::function<Response(const Request&)>;

struct ServerOptions {
  std::string host = "127.0.0.1";  // the address to listen on; "0.0.0.0" for all interfaces
  uint16_t port = 0;               // 0: an ephemeral port, see HttpServer::port()
  RequestLimits limits;
  double read_timeout_s = 30;   // a whole request, from when the server starts waiting for it
  double write_timeout_s = 30;  // a whole response
  int handler_threads = 4;      // requests handled at the same time
  int max_connections = 512;    // at the limit, a new connection replaces the one idle longest (see above)
};

struct ServerStats {
  int64_t connections_accepted = 0;
  int64_t requests_handled = 0;  // requests whose handler ran
  int64_t bad_requests = 0;      // answered 400 / 413 / 431 by the parser
  int64_t timeouts = 0;          // connections closed because a read or write deadline passed
  int64_t evicted = 0;           // idle connections closed to admit a new one at max_connections
};

class HttpServer {
 public:
  // Binds host:port, starts the io thread and the handler threads. Throws spct::UsageError naming host:port
  // when the address is invalid or cannot be bound.
  HttpServer(const ServerOptions& options, Handler handler);
  // Stops (see stop()).
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The port actually bound (the ephemeral one when options.port was 0).
  uint16_t port() const { return port_; }

  // Stops accepting, closes every connection, waits for running handlers to return and joins all threads.
  // Responses of handlers still running are dropped. REQUIRES: not called from a handler (it waits for them).
  void stop();

  ServerStats stats() const;

  struct State;  // the implementation, defined in http_server.cpp

 private:
  std::unique_ptr<State> state_;
  uint16_t port_ = 0;
};

}  // namespace spct::http
