// Each pooled connection owns a private io_context: a blocking call runs its own asynchronous operations to
// completion on the calling thread, so deadlines come from beast::tcp_stream's timers and concurrent callers
// never share an executor.
#include "core/http/http_client.h"

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <optional>

namespace spct::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace beast_http = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

std::chrono::steady_clock::duration to_duration(double seconds) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(seconds));
}

std::string seconds_text(double seconds) {
  std::string text = std::to_string(seconds);
  text.erase(text.find_last_not_of('0') + 1);
  if (text.back() == '.') text.pop_back();
  return text + " s";
}

// Errors that mean "the server closed this connection before answering": on a reused connection, the server's
// keep-alive timeout raced our request.
bool is_stale_connection_error(const error_code& ec) {
  return ec == beast_http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe;
}

}  // namespace

struct HttpClient::Connection {
  asio::io_context io;
  beast::tcp_stream stream{io};
  beast::flat_buffer buffer;
};

HttpClient::HttpClient(std::string host, uint16_t port, const ClientOptions& options)
    : host_(std::move(host)), port_(port), options_(options) {}

HttpClient::~HttpClient() = default;

std::string HttpClient::url() const {
  return "http://" + host_ + ":" + std::to_string(port_);
}

std::unique_ptr<HttpClient::Connection> HttpClient::take_idle() {
  std::lock_guard lock(mutex_);
  if (idle_.empty()) return nullptr;
  auto connection = std::move(idle_.back());
  idle_.pop_back();
  return connection;
}

void HttpClient::give_back(std::unique_ptr<Connection> connection) {
  std::lock_guard lock(mutex_);
  if (static_cast<int>(idle_.size()) < options_.max_idle_connections) idle_.push_back(std::move(connection));
}

std::unique_ptr<HttpClient::Connection> HttpClient::open_connection(
    std::chrono::steady_clock::time_point request_deadline) {
  auto connection = std::make_unique<Connection>();
  const auto now = std::chrono::steady_clock::now();
  const auto deadline = std::min(now + to_duration(options_.connect_timeout_s), request_deadline);
  const std::string timeout_message =
      "connecting to " + url() + " timed out after " +
      seconds_text(std::max(0.0, std::chrono::duration<double>(deadline - now).count()));

  std::vector<tcp::endpoint> endpoints;
  error_code ec;
  const auto address = asio::ip::make_address(host_, ec);
  if (!ec) {
    endpoints.emplace_back(address, port_);
  } else {
    tcp::resolver resolver(connection->io);
    resolver.async_resolve(host_, std::to_string(port_),
                           [&](error_code resolve_ec, const tcp::resolver::results_type& results) {
                             ec = resolve_ec;
                             for (const auto& entry : results) endpoints.push_back(entry.endpoint());
                           });
    connection->io.run_until(deadline);
    if (!connection->io.stopped()) {
      resolver.cancel();
      connection->io.run();
      throw HttpError(HttpError::Kind::kTimeout, timeout_message + " (resolving '" + host_ + "')");
    }
    if (ec)
      throw HttpError(HttpError::Kind::kConnect, "cannot resolve '" + host_ + "' for " + url() + ": " + ec.message());
  }

  connection->stream.expires_at(deadline);
  connection->stream.async_connect(endpoints, [&](error_code connect_ec, const tcp::endpoint&) { ec = connect_ec; });
  connection->io.restart();
  connection->io.run();
  if (ec == beast::error::timeout) throw HttpError(HttpError::Kind::kTimeout, timeout_message);
  if (ec) throw HttpError(HttpError::Kind::kConnect, "cannot connect to " + url() + ": " + ec.message());
  ++connections_opened_;
  return connection;
}

Response HttpClient::request(std::string_view method, std::string_view target, std::string body, const Headers& headers,
                             std::string_view content_type) {
  beast_http::request<beast_http::string_body> message;
  message.method_string(beast::string_view(method.data(), method.size()));
  message.target(beast::string_view(target.data(), target.size()));
  message.version(11);
  message.set(beast_http::field::host, host_ + ":" + std::to_string(port_));
  if (!body.empty() || method == "POST") {
    message.set(beast_http::field::content_type, beast::string_view(content_type.data(), content_type.size()));
  }
  for (const auto& [name, value] : headers) message.set(name, value);
  message.body() = std::move(body);
  message.keep_alive(true);
  message.prepare_payload();

  const std::string where = std::string(method) + " " + url() + std::string(target);
  const auto deadline = std::chrono::steady_clock::now() + to_duration(options_.request_timeout_s);
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<Connection> connection = attempt == 0 ? take_idle() : nullptr;
    const bool reused = connection != nullptr;
    if (!connection) connection = open_connection(deadline);

    beast_http::response_parser<beast_http::string_body> parser;
    parser.body_limit(options_.max_response_bytes);
    error_code ec;
    bool got_bytes = false;
    connection->stream.expires_at(deadline);
    beast_http::async_write(connection->stream, message, [&](error_code write_ec, std::size_t) {
      if (write_ec) {
        ec = write_ec;
        return;
      }
      beast_http::async_read(connection->stream, connection->buffer, parser, [&](error_code read_ec, std::size_t n) {
        ec = read_ec;
        got_bytes = n > 0 || parser.got_some();
      });
    });
    connection->io.restart();
    connection->io.run();

    if (ec && reused && !got_bytes && is_stale_connection_error(ec)) continue;
    if (ec == beast::error::timeout) {
      throw HttpError(HttpError::Kind::kTimeout,
                      where + ": no complete response within " + seconds_text(options_.request_timeout_s));
    }
    if (ec == beast_http::error::body_limit) {
      throw HttpError(HttpError::Kind::kProtocol,
                      where + ": response body exceeds " + std::to_string(options_.max_response_bytes) + " bytes");
    }
    if (ec && !got_bytes && (ec == asio::error::connection_reset || ec == asio::error::broken_pipe)) {
      throw HttpError(HttpError::Kind::kConnect, where + ": connection lost: " + ec.message());
    }
    if (ec) throw HttpError(HttpError::Kind::kProtocol, where + ": bad response: " + ec.message());

    auto reply = parser.release();
    Response response;
    response.status = static_cast<int>(reply.result_int());
    response.content_type.clear();
    for (const auto& field : reply) {
      if (field.name() == beast_http::field::content_type) {
        response.content_type = std::string(field.value());
      } else {
        response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
      }
    }
    response.body = std::move(reply.body());
    if (reply.keep_alive() && !reply.need_eof()) give_back(std::move(connection));
    return response;
  }
}

}  // namespace spct::http
