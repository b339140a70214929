// The HTTP/1.1 messages spct's server and client exchange, and the error a failed exchange throws.
//
// Messages are plain values: the whole body in a string, headers in arrival order. Header names compare
// case-insensitively (RFC 9110); header() finds the first one with a name.
//
// Thread safety: values; no shared state.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace spct::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

// The value of the first header named `name` (any case), or "" when there is none.
std::string_view find_header(const Headers& headers, std::string_view name);

struct Request {
  std::string method;  // "GET", "POST", ... as sent
  std::string target;  // path and query, e.g. "/v1/completions"
  Headers headers;
  std::string body;
  bool keep_alive = true;  // HTTP/1.1 default; false after "Connection: close" or for HTTP/1.0 without keep-alive

  std::string_view header(std::string_view name) const { return find_header(headers, name); }
  // The target without its query string.
  std::string_view path() const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  Headers headers;  // extra headers; Content-Type, Content-Length and Connection are written by the server

  std::string_view header(std::string_view name) const { return find_header(headers, name); }

  // A JSON error body {"error": {"message": ..., "code": status}} in the shape OpenAI-compatible servers use.
  static Response json_error(int status, std::string_view message);
};

// The standard reason phrase of a status code ("Not Found"), "Unknown" for codes spct never sends.
const char* reason_phrase(int status);

// A failed HTTP exchange on the client side. kind() says what failed, so callers can decide to retry
// (connection errors and timeouts) or not (a malformed answer). The message names the URL.
class HttpError : public Error {
 public:
  enum class Kind {
    kConnect,   // could not resolve or connect
    kTimeout,   // a connect, write or read deadline passed
    kProtocol,  // the peer closed early or sent bytes that are not a valid HTTP response
  };
  HttpError(Kind kind, const std::string& message) : Error(ExitCode::kFailure, message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

}  // namespace spct::http
