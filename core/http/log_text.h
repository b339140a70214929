// Text that came from the network (a request target, a model name, a message quoting a prompt), made safe to
// put in a log line: printable ASCII and well-formed UTF-8 pass as they are; every other byte (control
// characters, bytes of invalid UTF-8) is written \xNN. So a log line stays one line of valid UTF-8, and shows
// which bytes arrived instead of replacement characters or raw bytes that break terminals and log shippers.
//
// Thread safety: a pure function.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace spct::http {

// `text` escaped as above, cut after `max_bytes` input bytes with "..." appended.
std::string escape_for_log(std::string_view text, std::size_t max_bytes = 500);

}  // namespace spct::http
