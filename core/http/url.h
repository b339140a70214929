// http://host:port/base URLs, as written in configs (grm.remote_url).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace spct::http {

struct Url {
  std::string host;  // a name or an IP address; IPv6 without the brackets
  uint16_t port = 80;
  std::string base_path;  // "" or a path without a trailing '/', e.g. "/proxy"; requests go to base_path + "/v1/..."

  // Parses "http://host[:port][/base]". Throws spct::UsageError naming `what` (e.g. "grm.remote_url") for
  // another scheme (https is not supported: see http_client.h), an empty host or a bad port.
  static Url parse(std::string_view text, std::string_view what);

  std::string to_string() const;
};

}  // namespace spct::http
