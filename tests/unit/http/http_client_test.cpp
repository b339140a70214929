// HttpClient against HttpServer and a raw socket server over loopback: connection reuse, stale pooled
// connections, deadlines, refused connections and invalid responses; and URL parsing.
#include "core/http/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/error.h"
#include "core/http/http_server.h"
#include "core/http/url.h"

namespace spct::http {
namespace {

Response echo(const Request& request) {
  Response response;
  response.body = "{\"path\":\"" + request.target + "\",\"body\":\"" + request.body + "\",\"auth\":\"" +
                  std::string(request.header("authorization")) + "\"}";
  return response;
}

// Accepts connections on an ephemeral loopback port and answers each with the same fixed bytes, then closes:
// a server that speaks something other than HTTP.
class GarbageServer {
 public:
  explicit GarbageServer(std::string reply) : reply_(std::move(reply)), fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) == 0);
    REQUIRE(::listen(fd_, 8) == 0);
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] {
      for (;;) {
        const int client = ::accept(fd_, nullptr, nullptr);
        if (client < 0) return;  // the listening socket was shut down
        char request[4096];
        (void)::recv(client, request, sizeof(request), 0);
        (void)::send(client, reply_.data(), reply_.size(), MSG_NOSIGNAL);
        ::close(client);
      }
    });
  }
  ~GarbageServer() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  uint16_t port() const { return port_; }

 private:
  const std::string reply_;
  const int fd_;
  uint16_t port_ = 0;
  std::thread thread_;
};

TEST_CASE("http client reuses one keep-alive connection for sequential requests") {
  HttpServer server({}, echo);
  HttpClient client("127.0.0.1", server.port());
  for (int i = 0; i < 5; ++i) {
    const Response response = client.post_json("/v1/x", "n" + std::to_string(i), {{"Authorization", "Bearer secret"}});
    CHECK(response.status == 200);
    CHECK(response.content_type == "application/json");
    CHECK(response.body == "{\"path\":\"/v1/x\",\"body\":\"n" + std::to_string(i) + "\",\"auth\":\"Bearer secret\"}");
  }
  CHECK(client.connections_opened() == 1);
  CHECK(server.stats().connections_accepted == 1);
  CHECK(client.get("/missing").status == 200);
}

TEST_CASE("http client serves concurrent callers on separate connections") {
  HttpServer server({}, echo);
  HttpClient client("localhost", server.port());
  std::vector<std::thread> threads;
  threads.reserve(4);
  std::atomic<int> good{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        const std::string body = std::to_string(t) + "-" + std::to_string(i);
        if (client.post_json("/", body).body.find("\"body\":\"" + body + "\"") != std::string::npos) ++good;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(good == 40);
  CHECK(client.connections_opened() <= 4);
}

TEST_CASE("http client resends on a fresh connection when the server closed the pooled one") {
  ServerOptions options;
  options.read_timeout_s = 0.2;  // the server drops idle keep-alive connections after 0.2 s
  HttpServer server(options, echo);
  HttpClient client("127.0.0.1", server.port());
  CHECK(client.post_json("/", "first").status == 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK(client.post_json("/", "second").body.find("second") != std::string::npos);
  CHECK(client.connections_opened() == 2);
}

TEST_CASE("http client errors say what failed and where") {
  SECTION("nobody listening") {
    uint16_t port = 0;
    {
      HttpServer gone({}, echo);
      port = gone.port();
    }
    HttpClient client("127.0.0.1", port);
    try {
      client.get("/health");
      FAIL("expected an HttpError");
    } catch (const HttpError& e) {
      CHECK(e.kind() == HttpError::Kind::kConnect);
      CHECK_THAT(e.what(), Catch::Matchers::Contains("http://127.0.0.1:" + std::to_string(port)));
    }
  }
  SECTION("a server slower than the request deadline") {
    std::mutex mutex;
    std::condition_variable release;
    bool done = false;
    HttpServer server({}, [&](const Request&) {
      std::unique_lock lock(mutex);
      release.wait_for(lock, std::chrono::seconds(10), [&] { return done; });
      return Response{};
    });
    ClientOptions options;
    options.request_timeout_s = 0.3;
    HttpClient client("127.0.0.1", server.port(), options);
    const auto start = std::chrono::steady_clock::now();
    try {
      client.post_json("/slow", "{}");
      FAIL("expected an HttpError");
    } catch (const HttpError& e) {
      CHECK(e.kind() == HttpError::Kind::kTimeout);
      CHECK_THAT(e.what(), Catch::Matchers::Contains("no complete response within 0.3 s"));
    }
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
    {
      std::lock_guard lock(mutex);
      done = true;
    }
    release.notify_all();
  }
  SECTION("a server that does not speak HTTP") {
    GarbageServer server("SSH-2.0-OpenSSH\r\n\r\n");
    HttpClient client("127.0.0.1", server.port());
    try {
      client.get("/");
      FAIL("expected an HttpError");
    } catch (const HttpError& e) {
      CHECK(e.kind() == HttpError::Kind::kProtocol);
      CHECK_THAT(e.what(), Catch::Matchers::Contains("bad response"));
    }
  }
  SECTION("a response cut short") {
    GarbageServer server("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"choices\":");
    HttpClient client("127.0.0.1", server.port());
    CHECK_THROWS_AS(client.get("/"), HttpError);
  }
}

TEST_CASE("urls parse into host, port and base path") {
  const Url plain = Url::parse("http://127.0.0.1:8000", "grm.remote_url");
  CHECK(plain.host == "127.0.0.1");
  CHECK(plain.port == 8000);
  CHECK(plain.base_path.empty());
  const Url based = Url::parse("http://gpu-node/proxy/", "grm.remote_url");
  CHECK(based.host == "gpu-node");
  CHECK(based.port == 80);
  CHECK(based.base_path == "/proxy");
  CHECK(based.to_string() == "http://gpu-node:80/proxy");
  const Url v6 = Url::parse("http://[::1]:9000/x", "u");
  CHECK(v6.host == "::1");
  CHECK(v6.port == 9000);
  CHECK(v6.to_string() == "http://[::1]:9000/x");

  CHECK_THROWS_WITH(Url::parse("https://a", "grm.remote_url"),
                    Catch::Matchers::Contains("grm.remote_url: 'https://a' uses https"));
  CHECK_THROWS_WITH(Url::parse("ftp://a", "k"), Catch::Matchers::Contains("is not an http:// URL"));
  CHECK_THROWS_WITH(Url::parse("http://:80", "k"), Catch::Matchers::Contains("has no host"));
  CHECK_THROWS_WITH(Url::parse("http://a:99999", "k"), Catch::Matchers::Contains("bad port"));
  CHECK_THROWS_WITH(Url::parse("http://a:", "k"), Catch::Matchers::Contains("bad port"));
}

}  // namespace
}  // namespace spct::http
