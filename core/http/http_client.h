// A blocking HTTP/1.1 client for one server (host:port), with a small pool of keep-alive connections.
//
// Each request takes an idle pooled connection (or opens one), writes the request, reads the whole response
// and gives the connection back when both sides keep it alive, so a sequence of requests reuses one TCP
// connection and concurrent callers each get their own. Every request has a deadline: the whole exchange
// (connecting when no pooled connection is free, writing the request, reading the whole response) ends within
// request_timeout_s of the call, and connecting alone within connect_timeout_s; past either the connection is
// closed and HttpError(kTimeout) is thrown. So a caller that retries knows how long each attempt can last. A pooled
// connection the server has closed meanwhile (its keep-alive timeout) is detected when the exchange fails before any
// response byte, and the request is sent once more on a fresh connection; any other failure is thrown to the caller,
// who decides about retries (see HttpError::Kind).
//
// Name resolution: an IP address is used as is; a name is resolved within the connect deadline.
// Plain http only (no TLS): remote GRM servers are reached on a trusted network or through a local proxy.
//
// Thread safety: request(), get() and post_json() may be called from several threads at once.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/http/message.h"

namespace spct::http {

struct ClientOptions {
  double connect_timeout_s = 10;                                   // resolving and connecting
  double request_timeout_s = 60;                                   // the whole request, connecting included
  int max_idle_connections = 8;                                    // keep-alive connections kept for reuse
  std::size_t max_response_bytes = std::size_t{64} * 1024 * 1024;  // a larger response body is a kProtocol error
};

class HttpClient {
 public:
  // Connects lazily: constructing never touches the network.
  HttpClient(std::string host, uint16_t port, const ClientOptions& options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request and returns the response, whatever its status. Throws HttpError when no response
  // arrives (kConnect, kTimeout) or it is not valid HTTP (kProtocol); the message names the URL.
  Response request(std::string_view method, std::string_view target, std::string body = {}, const Headers& headers = {},
                   std::string_view content_type = "application/json");
  Response get(std::string_view target, const Headers& headers = {}) { return request("GET", target, {}, headers); }
  // POST with Content-Type application/json; `json` is sent as is.
  Response post_json(std::string_view target, std::string json, const Headers& headers = {}) {
    return request("POST", target, std::move(json), headers);
  }

  // "http://host:port", for messages.
  std::string url() const;
  // TCP connections opened so far (a measure of reuse).
  int64_t connections_opened() const { return connections_opened_.load(); }

 private:
  struct Connection;
  // Connects within connect_timeout_s and before `deadline`.
  std::unique_ptr<Connection> open_connection(std::chrono::steady_clock::time_point deadline);
  std::unique_ptr<Connection> take_idle();
  void give_back(std::unique_ptr<Connection> connection);

  const std::string host_;
  const uint16_t port_;
  const ClientOptions options_;
  std::mutex mutex_;  // guards idle_
  std::vector<std::unique_ptr<Connection>> idle_;
  std::atomic<int64_t> connections_opened_{0};
};

}  // namespace spct::http
