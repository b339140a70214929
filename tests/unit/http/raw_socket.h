// A blocking loopback TCP client for the HTTP tests: it sends exactly the bytes a test gives it (malformed,
// partial or pipelined requests that a real HTTP client would never send) and reads with a deadline.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace spct::http::testing {

class RawSocket {
 public:
  explicit RawSocket(uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    if (fd_ < 0) throw std::runtime_error("socket() failed");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      ::close(fd_);
      throw std::runtime_error("connect() to port " + std::to_string(port) + " failed");
    }
  }
  ~RawSocket() { ::close(fd_); }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  void send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send() failed");
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  // Reads until `complete(received)` is true, the peer closes, or `timeout_s` passes; returns what arrived.
  template <typename Complete>
  std::string read_until(Complete complete, double timeout_s) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    while (!complete(received_)) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char chunk[4096];
      const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
      if (n <= 0) {
        peer_closed_ = true;
        break;
      }
      received_.append(chunk, static_cast<std::size_t>(n));
    }
    return received_;
  }

  // Reads one whole response (headers and Content-Length body) and removes it from what was received.
  std::string read_response(double timeout_s = 5) {
    read_until([](const std::string& bytes) { return response_length(bytes) > 0; }, timeout_s);
    const std::size_t length = response_length(received_);
    if (length == 0) {
      std::string partial = std::move(received_);
      received_.clear();
      return partial;
    }
    std::string response = received_.substr(0, length);
    received_.erase(0, length);
    return response;
  }

  // True when the peer closes the connection within `timeout_s` (any unread bytes are dropped).
  bool closed_within(double timeout_s) {
    read_until([this](const std::string&) { return peer_closed_; }, timeout_s);
    return peer_closed_;
  }

 private:
  // Length of the first complete response in `bytes`, 0 when it has not all arrived.
  static std::size_t response_length(const std::string& bytes) {
    const std::size_t end = bytes.find("\r\n\r\n");
    if (end == std::string::npos) return 0;
    std::size_t body = 0;
    const std::size_t field = bytes.find("Content-Length: ");
    if (field != std::string::npos && field < end) body = std::stoul(bytes.substr(field + 16));
    return bytes.size() >= end + 4 + body ? end + 4 + body : 0;
  }

  int fd_;
  std::string received_;
  bool peer_closed_ = false;
};

}  // namespace spct::http::testing
