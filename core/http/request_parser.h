// Incremental HTTP/1.1 request parsing with size limits: the only code that reads raw request bytes from a
// client, used by HttpServer and fuzzed by tests/fuzz/http_request_fuzz.cpp.
//
// Bytes arrive in any split; feed() parses from the front of what it is given and says how much it consumed.
// The caller keeps the unconsumed rest (an incomplete header line, or the start of a pipelined next request)
// and feeds it again with more bytes appended. A request that breaks the grammar or a limit ends in kError with
// the status to answer (400, 413 body too large, 431 header too large) and a reason naming what was wrong.
//
// One parser reads one request; make a new one for the next request on a keep-alive connection.
// Thread safety: none; one connection owns its parser.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/http/message.h"

namespace spct::http {

struct RequestLimits {
  // Request line plus all headers, in bytes.
  std::size_t max_header_bytes = std::size_t{16} * 1024;
  // Decoded body, in bytes (after de-chunking).
  std::size_t max_body_bytes = std::size_t{8} * 1024 * 1024;
};

class RequestParser {
 public:
  enum class State { kNeedMore, kDone, kError };

  explicit RequestParser(const RequestLimits& limits);
  ~RequestParser();
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  // Parses from the front of `bytes` and returns how many bytes it consumed (possibly 0 when a header is still
  // incomplete: feed those bytes again with more appended). REQUIRES: state() == kNeedMore.
  std::size_t feed(std::string_view bytes);

  State state() const { return state_; }
  // When state() == kError: the status to answer (400, 413 or 431) and why, for the response body.
  int error_status() const { return error_status_; }
  const std::string& error_reason() const { return error_reason_; }

  // The parsed request. REQUIRES: state() == kDone; call once.
  Request take();

 private:
  struct Impl;
  void fail(int status, std::string reason);

  std::unique_ptr<Impl> impl_;
  State state_ = State::kNeedMore;
  int error_status_ = 0;
  std::string error_reason_;
};

}  // namespace spct::http
