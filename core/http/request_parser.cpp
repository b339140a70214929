// Beast's parser does the grammar (request line, header fields, Content-Length and chunked bodies) and the
// limits; this file adapts it to a feed-bytes interface the server and the fuzzer share, and adds the checks
// Beast leaves to its users (an origin-form target).
#include "core/http/request_parser.h"

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <utility>

namespace spct::http {

namespace beast_http = boost::beast::http;

struct RequestParser::Impl {
  beast_http::request_parser<beast_http::string_body> parser;
  std::size_t max_header_bytes = 0;
};

RequestParser::RequestParser(const RequestLimits& limits) : impl_(std::make_unique<Impl>()) {
  impl_->max_header_bytes = limits.max_header_bytes;
  impl_->parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
  impl_->parser.body_limit(limits.max_body_bytes);
  // Body bytes are consumed as they arrive instead of after the header in a separate call.
  impl_->parser.eager(true);
}

RequestParser::~RequestParser() = default;

void RequestParser::fail(int status, std::string reason) {
  state_ = State::kError;
  error_status_ = status;
  error_reason_ = std::move(reason);
}

std::size_t RequestParser::feed(std::string_view bytes) {
  std::size_t consumed = 0;
  auto& parser = impl_->parser;
  while (state_ == State::kNeedMore && consumed < bytes.size()) {
    boost::system::error_code ec;
    const std::size_t n = parser.put(boost::asio::const_buffer(bytes.data() + consumed, bytes.size() - consumed), ec);
    consumed += n;
    if (ec == beast_http::error::need_more) break;
    if (ec == beast_http::error::header_limit) {
      fail(431, "request header exceeds " + std::to_string(impl_->max_header_bytes) + " bytes");
    } else if (ec == beast_http::error::body_limit) {
      fail(413, "request body exceeds the server's limit");
    } else if (ec) {
      fail(400, "malformed request at byte " + std::to_string(consumed) + ": " + ec.message());
    } else if (parser.is_done()) {
      state_ = State::kDone;
    } else if (n == 0) {
      break;
    }
  }
  if (state_ == State::kDone) {
    const auto target = parser.get().target();
    if (target.empty() || target.front() != '/') {
      fail(400, "request target must be a path starting with '/'");
    }
  }
  return consumed;
}

Request RequestParser::take() {
  auto message = impl_->parser.release();
  Request request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  for (const auto& field : message) {
    request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  request.keep_alive = message.keep_alive();
  request.body = std::move(message.body());
  return request;
}

}  // namespace spct::http
