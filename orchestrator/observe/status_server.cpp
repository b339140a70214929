#include "orchestrator/observe/status_server.h"

#include <fmt/format.h>

#include "core/error.h"
#include "core/http/http_server.h"

namespace spct::observe {
namespace {

// The content type Prometheus expects for its text exposition format.
constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace

http::Response status_endpoint_response(const http::Request& request, const RunStatus& status) {
  const std::string_view path = request.path();
  if (path != "/status" && path != "/metrics") {
    return http::Response::json_error(404, fmt::format("no such path '{}'; try /status or /metrics", path));
  }
  if (request.method != "GET") {
    http::Response response = http::Response::json_error(405, fmt::format("{} {}: only GET", request.method, path));
    response.headers.emplace_back("Allow", "GET");
    return response;
  }
  http::Response response;
  if (path == "/status") {
    response.body = status_json(status);
  } else {
    response.content_type = kPrometheusContentType;
    response.body = prometheus_text(status);
  }
  return response;
}

StatusServer::StatusServer(const std::string& host, uint16_t port, StatusSource source) : source_(std::move(source)) {
  http::ServerOptions options;
  options.host = host;
  options.port = port;
  options.handler_threads = 1;  // answers are microseconds of formatting; scrapes come seconds apart
  options.read_timeout_s = 10;
  options.write_timeout_s = 10;
  options.max_connections = 64;
  try {
    server_ = std::make_unique<http::HttpServer>(
        options, [this](const http::Request& request) { return status_endpoint_response(request, source_()); });
  } catch (const Error& e) {
    throw UsageError(
        fmt::format("observe.status_host:observe.status_port ({}:{}): the status endpoint cannot "
                    "listen there ({}); choose another observe.status_port, or 0 for no endpoint",
                    host, port, e.what()));
  }
}

StatusServer::~StatusServer() = default;

void check_status_endpoint(const config::Config& config) {
  if (config.observe.status_port <= 0) return;
  // The job's own server, started and stopped: the same address parsing, socket options and message as the
  // endpoint the orchestrator will start.
  const StatusServer probe(config.observe.status_host, static_cast<uint16_t>(config.observe.status_port),
                           [] { return RunStatus{}; });
}

uint16_t StatusServer::port() const {
  return server_->port();
}

}  // namespace spct::observe
