#include "core/http/http_server.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include "core/http/log_text.h"

namespace spct::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr std::size_t kReadChunk = std::size_t{16} * 1024;

std::chrono::steady_clock::duration to_duration(double seconds) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(seconds));
}

std::string serialize(const Response& response, bool close) {
  std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " + reason_phrase(response.status) + "\r\n";
  out += "Content-Type: " + response.content_type + "\r\n";
  out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  out += close ? "Connection: close\r\n" : "Connection: keep-alive\r\n";
  for (const auto& [name, value] : response.headers) out += name + ": " + value + "\r\n";
  out += "\r\n";
  out += response.body;
  return out;
}

}  // namespace

class ServerConnection;

// Member order matters for destruction: the io_context is destroyed after the pool and the acceptor (it owns
// the connections its pending operations hold, and they touch the counters above it when they go).
struct HttpServer::State {
  State(const ServerOptions& server_options, Handler server_handler)
      : options(server_options),
        handler(std::move(server_handler)),
        acceptor(io),
        pool(static_cast<std::size_t>(std::max(1, server_options.handler_threads))) {}

  void accept();
  // On the io thread: closes the connection that has been idle longest; false when none is idle.
  bool evict_idle();
  // On the io thread: stops accepting and closes every open connection.
  void close_all();
  Response run_handler(const Request& request);

  const ServerOptions options;
  const Handler handler;
  std::atomic<int> open_connections{0};
  std::atomic<int64_t> accepted{0};
  std::atomic<int64_t> handled{0};
  std::atomic<int64_t> bad_requests{0};
  std::atomic<int64_t> timeouts{0};
  std::atomic<int64_t> evicted{0};
  asio::io_context io;
  tcp::acceptor acceptor;
  std::vector<std::weak_ptr<ServerConnection>> connections;  // touched on the io thread only
  asio::thread_pool pool;
  std::thread io_thread;
  std::once_flag stop_once;
};

// One client connection. Lives as long as an operation (a read, a write, a handler call) holds it; every socket
// operation runs on the io thread.
class ServerConnection : public std::enable_shared_from_this<ServerConnection> {
 public:
  ServerConnection(HttpServer::State& state, tcp::socket socket) : state_(state), stream_(std::move(socket)) {
    ++state_.open_connections;
  }
  ~ServerConnection() { --state_.open_connections; }
  ServerConnection(const ServerConnection&) = delete;
  ServerConnection& operator=(const ServerConnection&) = delete;

  void start() { read_request(); }

  void close() {
    closed_ = true;
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

  // Idle: open, waiting for a request of which no byte has arrived (a keep-alive connection between requests,
  // or a new one that has sent nothing yet). Closing it loses no work.
  bool idle() const { return idle_ && !closed_; }
  std::chrono::steady_clock::time_point idle_since() const { return idle_since_; }

 private:
  void read_request() {
    parser_.emplace(state_.options.limits);
    stream_.expires_after(to_duration(state_.options.read_timeout_s));
    idle_ = buffer_.size() == 0;
    idle_since_ = std::chrono::steady_clock::now();
    parse_buffered();
  }

  // Feeds what the buffer holds (pipelined bytes, or what the last read brought) to the parser, then either
  // dispatches the complete request, answers a bad one, or reads more.
  void parse_buffered() {
    if (buffer_.size() > 0) {
      const auto data = buffer_.data();
      buffer_.consume(parser_->feed(std::string_view(static_cast<const char*>(data.data()), data.size())));
    }
    switch (parser_->state()) {
      case RequestParser::State::kDone: dispatch(); return;
      case RequestParser::State::kError:
        ++state_.bad_requests;
        spdlog::debug("http server: bad request ({}): {}", parser_->error_status(),
                      escape_for_log(parser_->error_reason()));
        write(Response::json_error(parser_->error_status(), parser_->error_reason()), /*close_after=*/true);
        return;
      case RequestParser::State::kNeedMore: break;
    }
    stream_.async_read_some(buffer_.prepare(kReadChunk),
                            [self = shared_from_this()](error_code ec, std::size_t n) { self->on_read(ec, n); });
  }

  void on_read(error_code ec, std::size_t n) {
    if (ec) {
      // A deadline (beast has closed the socket), the client closing, or a reset: nothing left to answer.
      if (ec == beast::error::timeout) ++state_.timeouts;
      close();
      return;
    }
    buffer_.commit(n);
    idle_ = false;
    parse_buffered();
  }

  void dispatch() {
    stream_.expires_never();
    auto request = std::make_shared<Request>(parser_->take());
    parser_.reset();
    asio::post(state_.pool, [self = shared_from_this(), request] {
      Response response = self->state_.run_handler(*request);
      const bool close = !request->keep_alive;
      asio::post(self->stream_.get_executor(),
                 [self, close, response = std::move(response)] { self->write(response, close); });
    });
  }

  void write(const Response& response, bool close_after) {
    out_ = serialize(response, close_after);
    stream_.expires_after(to_duration(state_.options.write_timeout_s));
    asio::async_write(stream_, asio::buffer(out_),
                      [self = shared_from_this(), close_after](error_code ec, std::size_t) {
                        if (ec == beast::error::timeout) ++self->state_.timeouts;
                        if (ec || close_after) {
                          self->close();
                          return;
                        }
                        self->read_request();
                      });
  }

  HttpServer::State& state_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<RequestParser> parser_;
  std::string out_;  // the response being written; must live until the write completes
  bool idle_ = true;
  bool closed_ = false;
  std::chrono::steady_clock::time_point idle_since_;
};

bool HttpServer::State::evict_idle() {
  std::shared_ptr<ServerConnection> oldest;
  for (const auto& weak : connections) {
    const auto connection = weak.lock();
    if (connection && connection->idle() && (!oldest || connection->idle_since() < oldest->idle_since())) {
      oldest = connection;
    }
  }
  if (!oldest) return false;
  oldest->close();
  ++evicted;
  return true;
}

void HttpServer::State::accept() {
  acceptor.async_accept([this](error_code ec, tcp::socket socket) {
    if (!acceptor.is_open()) return;
    if (!ec) {
      ++accepted;
      // At the limit, a new client takes the place of the connection idle longest; only when every
      // connection is busy is the new one refused. (A closed connection counts until its last operation
      // ends, a moment later on this thread.)
      if (open_connections.load() >= options.max_connections && !evict_idle()) {
        error_code ignored;
        socket.close(ignored);
      } else {
        std::erase_if(connections, [](const std::weak_ptr<ServerConnection>& c) { return c.expired(); });
        auto connection = std::make_shared<ServerConnection>(*this, std::move(socket));
        connections.push_back(connection);
        connection->start();
      }
    } else {
      spdlog::warn("http server: accept failed: {}", ec.message());
    }
    accept();
  });
}

void HttpServer::State::close_all() {
  error_code ignored;
  acceptor.close(ignored);
  for (const auto& weak : connections) {
    if (const auto connection = weak.lock()) connection->close();
  }
}

Response HttpServer::State::run_handler(const Request& request) {
  ++handled;
  try {
    return handler(request);
  } catch (const std::exception& e) {
    spdlog::warn("http server: {} {}: 500: {}", escape_for_log(request.method), escape_for_log(request.target),
                 escape_for_log(e.what()));
    return Response::json_error(500, e.what());
  }
}

HttpServer::HttpServer(const ServerOptions& options, Handler handler)
    : state_(std::make_unique<State>(options, std::move(handler))) {
  const std::string where = options.host + ":" + std::to_string(options.port);
  error_code ec;
  const auto address = asio::ip::make_address(options.host == "localhost" ? "127.0.0.1" : options.host, ec);
  if (ec) throw UsageError("http server: '" + options.host + "' is not an IP address");
  const tcp::endpoint endpoint(address, options.port);
  auto& acceptor = state_->acceptor;
  if (acceptor.open(endpoint.protocol(), ec); ec) throw UsageError("http server " + where + ": " + ec.message());
  acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (acceptor.bind(endpoint, ec); ec) throw UsageError("http server " + where + ": cannot bind: " + ec.message());
  if (acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) {
    throw UsageError("http server " + where + ": cannot listen: " + ec.message());
  }
  port_ = acceptor.local_endpoint().port();
  state_->accept();
  state_->io_thread = std::thread([state = state_.get()] {
    try {
      state->io.run();
    } catch (const std::exception& e) {
      spdlog::error("http server on port {}: io thread stopped: {}", state->options.port, e.what());
    }
  });
}

HttpServer::~HttpServer() {
  stop();
}

void HttpServer::stop() {
  std::call_once(state_->stop_once, [this] {
    // Close the sockets on the io thread that owns them; the wait is bounded in case that thread has died.
    auto closed = std::make_shared<std::promise<void>>();
    asio::post(state_->io, [state = state_.get(), closed] {
      state->close_all();
      closed->set_value();
    });
    closed->get_future().wait_for(std::chrono::seconds(2));
    state_->io.stop();
    if (state_->io_thread.joinable()) state_->io_thread.join();
    state_->pool.stop();
    state_->pool.join();
  });
}

ServerStats HttpServer::stats() const {
  return {state_->accepted.load(), state_->handled.load(), state_->bad_requests.load(), state_->timeouts.load(),
          state_->evicted.load()};
}

}  // namespace spct::http
