#include "core/http/url.h"

#include <charconv>

#include "core/error.h"

namespace spct::http {

Url Url::parse(std::string_view text, std::string_view what) {
  const auto bad = [&](const std::string& why) {
    return UsageError(std::string(what) + ": '" + std::string(text) + "' " + why);
  };
  constexpr std::string_view kScheme = "http://";
  if (text.substr(0, kScheme.size()) != kScheme) {
    throw bad(text.substr(0, 8) == "https://" ? "uses https, which spct's HTTP client does not speak (use http://)"
                                              : "is not an http:// URL");
  }
  std::string_view rest = text.substr(kScheme.size());
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  Url url;
  if (slash != std::string_view::npos) {
    std::string_view path = rest.substr(slash);
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    url.base_path = std::string(path);
  }
  std::string_view port_text;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) throw bad("has an unclosed '[' in its host");
    url.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') throw bad("has characters after the IPv6 address");
      has_port = true;
      port_text = authority.substr(close + 2);
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    has_port = colon != std::string_view::npos;
    if (has_port) port_text = authority.substr(colon + 1);
  }
  if (url.host.empty()) throw bad("has no host");
  if (has_port) {
    unsigned port = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535) {
      throw bad("has a bad port (1-65535)");
    }
    url.port = static_cast<uint16_t>(port);
  }
  return url;
}

std::string Url::to_string() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  return "http://" + (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port) + base_path;
}

}  // namespace spct::http
