// HttpServer over real loopback sockets: keep-alive, pipelining, limits, deadlines, handler errors,
// concurrent handlers and stop().
#include "core/http/http_server.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/http/log_text.h"
#include "tests/unit/http/captured_log.h"
#include "tests/unit/http/raw_socket.h"

namespace spct::http {
namespace {

using testing::RawSocket;

Response echo(const Request& request) {
  Response response;
  response.content_type = "text/plain";
  response.body = request.method + " " + request.target + " [" + request.body + "]";
  return response;
}

std::string get(const std::string& target) {
  return "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n";
}

std::string post(const std::string& target, const std::string& body) {
  return "POST " + target + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
         body;
}

std::string body_of(const std::string& response) {
  const std::size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

TEST_CASE("http server answers requests on one keep-alive connection, pipelined too") {
  HttpServer server({}, echo);
  REQUIRE(server.port() != 0);
  RawSocket socket(server.port());

  socket.send(get("/a?x=1"));
  const std::string first = socket.read_response();
  CHECK_THAT(first, Catch::Matchers::StartsWith("HTTP/1.1 200 OK\r\n"));
  CHECK_THAT(first, Catch::Matchers::Contains("\r\nConnection: keep-alive\r\n"));
  CHECK(body_of(first) == "GET /a?x=1 []");

  // Two requests in one write: both answered, in order.
  socket.send(post("/b", "hello") + post("/c", "world"));
  CHECK(body_of(socket.read_response()) == "POST /b [hello]");
  CHECK(body_of(socket.read_response()) == "POST /c [world]");

  // A chunked body is decoded.
  socket.send("POST /d HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  CHECK(body_of(socket.read_response()) == "POST /d [abcde]");

  // Connection: close is honoured.
  socket.send("GET /e HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK_THAT(socket.read_response(), Catch::Matchers::Contains("\r\nConnection: close\r\n"));
  CHECK(socket.closed_within(5));

  const ServerStats stats = server.stats();
  CHECK(stats.connections_accepted == 1);
  CHECK(stats.requests_handled == 5);
  CHECK(stats.bad_requests == 0);
}

TEST_CASE("http server answers bad requests with 400, 413 or 431 and closes") {
  ServerOptions options;
  options.limits.max_header_bytes = 1024;
  options.limits.max_body_bytes = 100;
  HttpServer server(options, echo);

  SECTION("garbage") {
    RawSocket socket(server.port());
    socket.send("\x01\x02 not http at all\r\n\r\n");
    const std::string response = socket.read_response();
    CHECK_THAT(response, Catch::Matchers::StartsWith("HTTP/1.1 400 Bad Request"));
    CHECK_THAT(body_of(response), Catch::Matchers::Contains("malformed request"));
    CHECK(socket.closed_within(5));
  }
  SECTION("a target that is not a path") {
    RawSocket socket(server.port());
    socket.send(get("http://elsewhere/"));
    CHECK_THAT(body_of(socket.read_response()), Catch::Matchers::Contains("starting with '/'"));
  }
  SECTION("a body over the limit, refused from its Content-Length before it is sent") {
    RawSocket socket(server.port());
    socket.send("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n");
    CHECK_THAT(socket.read_response(), Catch::Matchers::StartsWith("HTTP/1.1 413 "));
    CHECK(socket.closed_within(5));
  }
  SECTION("a header over the limit") {
    RawSocket socket(server.port());
    socket.send("GET / HTTP/1.1\r\nX-Long: " + std::string(2000, 'a') + "\r\n\r\n");
    const std::string response = socket.read_response();
    CHECK_THAT(response, Catch::Matchers::StartsWith("HTTP/1.1 431 "));
    CHECK_THAT(body_of(response), Catch::Matchers::Contains("1024 bytes"));
  }
  CHECK(server.stats().bad_requests == 1);
  CHECK(server.stats().requests_handled == 0);
}

TEST_CASE("http server closes a connection whose client stalls past the read deadline") {
  ServerOptions options;
  options.read_timeout_s = 0.3;
  HttpServer server(options, echo);

  RawSocket partial(server.port());
  partial.send("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");  // 7 body bytes never come
  RawSocket idle(server.port());
  const auto start = std::chrono::steady_clock::now();
  CHECK(partial.closed_within(5));
  CHECK(idle.closed_within(5));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
  // The count follows the close on the server's io thread: allow it a moment.
  for (int i = 0; i < 200 && server.stats().timeouts < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(server.stats().timeouts == 2);

  // The server still serves others.
  RawSocket fresh(server.port());
  fresh.send(get("/ok"));
  CHECK(body_of(fresh.read_response()) == "GET /ok []");
}

TEST_CASE("http server at its connection limit closes the longest-idle keep-alive connection for a new client") {
  ServerOptions options;
  options.max_connections = 8;
  options.read_timeout_s = 60;  // idle connections would hold their place this long without the eviction
  HttpServer server(options, echo);

  std::vector<std::unique_ptr<RawSocket>> idle;
  for (int i = 0; i < options.max_connections; ++i) {
    idle.push_back(std::make_unique<RawSocket>(server.port()));
    idle.back()->send(get("/keep" + std::to_string(i)));
    REQUIRE(body_of(idle.back()->read_response()) == "GET /keep" + std::to_string(i) + " []");
  }
  // Every place is taken by an idle keep-alive connection; a new client is still served, well before the idle
  // ones would time out.
  RawSocket fresh(server.port());
  fresh.send(get("/new"));
  CHECK(body_of(fresh.read_response(options.read_timeout_s / 4)) == "GET /new []");
  CHECK(server.stats().evicted == 1);
  CHECK(idle.front()->closed_within(options.read_timeout_s / 4));  // the one idle longest made room
  // The others still work.
  idle.back()->send(get("/again"));
  CHECK(body_of(idle.back()->read_response()) == "GET /again []");
}

TEST_CASE("http server turns a throwing handler into a 500 naming the error") {
  HttpServer server({}, [](const Request&) -> Response { throw InputError("prompt too long at token 7"); });
  RawSocket socket(server.port());
  socket.send(get("/"));
  const std::string response = socket.read_response();
  CHECK_THAT(response, Catch::Matchers::StartsWith("HTTP/1.1 500 "));
  CHECK_THAT(body_of(response), Catch::Matchers::Contains("prompt too long at token 7"));
}

TEST_CASE("text from the network is logged with invalid UTF-8 and control bytes escaped") {
  CHECK(escape_for_log("3+4=7 caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") ==
        "3+4=7 caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");  // well-formed UTF-8 passes
  CHECK(escape_for_log("a\xff"
                       "b\xc3") ==
        "a\\xff"
        "b\\xc3");                                             // a stray byte, a cut sequence
  CHECK(escape_for_log("\xc0\xaf") == "\\xc0\\xaf");           // overlong '/'
  CHECK(escape_for_log("\xed\xa0\x80") == "\\xed\\xa0\\x80");  // a surrogate
  CHECK(escape_for_log("line\r\nnext\t") == "line\\x0d\\x0anext\\x09");
  CHECK(escape_for_log(std::string(600, 'x')) == std::string(500, 'x') + "...");
}

TEST_CASE("http server logs a failing handler with the request's bytes escaped") {
  spct::testing::CapturedLog log;
  HttpServer server(
      {}, [](const Request& request) -> Response { throw InputError("cannot encode \"" + request.body + "\""); });
  RawSocket socket(server.port());
  socket.send(post("/v1/\xff", "3+4=\xc3\xa9\xff\n"));
  CHECK_THAT(socket.read_response(), Catch::Matchers::StartsWith("HTTP/1.1 500 "));
  const std::string line = log.wait_for("http server: POST", std::chrono::seconds(5));
  CHECK(line == "http server: POST /v1/\\xff: 500: cannot encode \"3+4=\xc3\xa9\\xff\\x0a\"");
}

TEST_CASE("http server runs handlers concurrently and stop() ends with clients still connected") {
  constexpr int kParallel = 3;
  std::mutex mutex;
  std::condition_variable changed;
  int inside = 0;
  ServerOptions options;
  options.handler_threads = kParallel;
  // Each handler waits until all kParallel are inside at once: only concurrent handlers can all return 200.
  HttpServer server(options, [&](const Request&) {
    std::unique_lock lock(mutex);
    ++inside;
    changed.notify_all();
    const bool met = changed.wait_for(lock, std::chrono::seconds(5), [&] { return inside >= kParallel; });
    Response response;
    response.status = met ? 200 : 503;
    return response;
  });
  std::vector<std::unique_ptr<RawSocket>> sockets;
  for (int i = 0; i < kParallel; ++i) {
    sockets.push_back(std::make_unique<RawSocket>(server.port()));
    sockets.back()->send(get("/"));
  }
  for (auto& socket : sockets) CHECK_THAT(socket->read_response(), Catch::Matchers::StartsWith("HTTP/1.1 200 "));

  RawSocket lingering(server.port());
  const auto start = std::chrono::steady_clock::now();
  server.stop();
  server.stop();
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
  CHECK(lingering.closed_within(5));
}

TEST_CASE("http server refuses an address it cannot bind, naming it") {
  HttpServer first({}, echo);
  ServerOptions taken;
  taken.port = first.port();
  CHECK_THROWS_AS(HttpServer(taken, echo), UsageError);
  ServerOptions bad;
  bad.host = "not-an-address";
  CHECK_THROWS_WITH(HttpServer(bad, echo), Catch::Matchers::Contains("'not-an-address' is not an IP address"));
}

}  // namespace
}  // namespace spct::http
