#include <fmt/format.h>

#include <charconv>
#include <string>
#include <vector>

#include "workers/reward/external/external_reward.h"

namespace spct::reward {
namespace {

std::string_view trim(std::string_view text) {
  const auto begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
}

[[noreturn]] void fail(std::string_view entry, const std::string& problem) {
  throw UsageError("reward.functions: \"" + std::string(entry) + "\": " + problem + " (see docs/rewards.md)");
}

double number(std::string_view entry, std::string_view key, std::string_view value, double min, double max) {
  double parsed = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), parsed);
  if (error != std::errc() || end != value.data() + value.size() || !(parsed >= min && parsed <= max)) {
    fail(entry, fmt::format("option {}={} is not a number in [{:g}, {:g}]", key, value, min, max));
  }
  return parsed;
}

}  // namespace

std::optional<ExternalSpec> parse_external_spec(std::string_view entry) {
  const auto equals = entry.find('=');
  const auto colon = entry.find(':');
  if (equals == std::string_view::npos || colon == std::string_view::npos || colon < equals) return std::nullopt;
  ExternalSpec spec;
  spec.name = std::string(trim(entry.substr(0, equals)));
  spec.kind = std::string(trim(entry.substr(equals + 1, colon - equals - 1)));
  if (spec.name.empty()) fail(entry, "the reward has no NAME before '='");
  if (spec.kind != "command" && spec.kind != "http" && spec.kind != "scalar") {
    fail(entry, "unknown reward kind \"" + spec.kind + "\" (choose command, http or scalar)");
  }
  // Target and options are separated by ';'. For http the URL keeps its own scheme: NAME=http:http://host/path.
  std::vector<std::string_view> parts;
  for (std::string_view rest = entry.substr(colon + 1);;) {
    const auto semicolon = rest.find(';');
    parts.push_back(trim(rest.substr(0, semicolon)));
    if (semicolon == std::string_view::npos) break;
    rest = rest.substr(semicolon + 1);
  }
  spec.target = std::string(parts[0]);
  if (spec.target.empty()) {
    fail(entry, spec.kind == "command" ? "the command is empty"
                : spec.kind == "http"  ? "the URL is empty"
                                       : "the model directory is empty");
  }
  for (std::size_t i = 1; i < parts.size(); ++i) {
    const std::string_view option = parts[i];
    if (option.empty()) continue;
    const auto is = option.find('=');
    if (is == std::string_view::npos) fail(entry, "option \"" + std::string(option) + "\" is not key=value");
    const std::string_view key = trim(option.substr(0, is)), value = trim(option.substr(is + 1));
    ExternalOptions& o = spec.options;
    if (key == "timeout_s") {
      o.timeout_s = number(entry, key, value, 0.001, 86400);
    } else if (key == "retries") {
      o.retries = static_cast<int64_t>(number(entry, key, value, 0, 100));
    } else if (key == "max_dropped_share") {
      o.max_dropped_share = number(entry, key, value, 0, 1);
    } else if (key == "max_restarts") {
      o.max_restarts = static_cast<int64_t>(number(entry, key, value, 0, 1000000));
    } else if (key == "concurrency") {
      o.concurrency = static_cast<int64_t>(number(entry, key, value, 1, 1024));
    } else {
      fail(entry, "unknown option \"" + std::string(key) +
                      "\" (choose timeout_s, retries, max_dropped_share, max_restarts or concurrency)");
    }
  }
  return spec;
}

}  // namespace spct::reward
