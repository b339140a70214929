// libFuzzer target for the HTTP request parser (core/http/request_parser.h), the code that reads a client's raw
// bytes in HttpServer: any bytes, split at any point, must end in a request, a request for more bytes, or an
// error status with a reason; never a crash, a hang, or a request beyond the limits. The first byte chooses where
// the input is split (as two TCP reads would split it) and small limits, so the limit paths are reached too.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/http/request_parser.h"

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  spct::http::RequestLimits limits;
  limits.max_header_bytes = 64 + data[0] % 4 * 256;
  limits.max_body_bytes = data[0] % 3 * 64;
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::size_t split = input.empty() ? 0 : data[0] % input.size();

  // Requests one after another (pipelining), the bytes arriving in two reads; unconsumed bytes stay buffered
  // as the server keeps them.
  std::string buffered;
  std::string_view pending_read = input.substr(split);
  buffered.assign(input.substr(0, split));
  for (int requests = 0; requests < 64; ++requests) {
    spct::http::RequestParser parser(limits);
    while (parser.state() == spct::http::RequestParser::State::kNeedMore) {
      const std::size_t consumed = parser.feed(buffered);
      require(consumed <= buffered.size());
      buffered.erase(0, consumed);
      if (parser.state() != spct::http::RequestParser::State::kNeedMore) break;
      if (pending_read.empty()) return 0;  // the client would stall here; the server's deadline closes it
      buffered.append(pending_read);
      pending_read = {};
    }
    if (parser.state() == spct::http::RequestParser::State::kError) {
      const int status = parser.error_status();
      require(status == 400 || status == 413 || status == 431);
      require(!parser.error_reason().empty());
      return 0;  // the server answers and closes
    }
    const spct::http::Request request = parser.take();
    require(!request.method.empty());
    require(!request.target.empty() && request.target.front() == '/');
    require(request.body.size() <= limits.max_body_bytes);
  }
  return 0;
}
