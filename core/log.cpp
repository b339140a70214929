#include "core/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace spct {
namespace {

spdlog::level::level_enum spdlog_level(config::LogLevel level) {
  switch (level) {
    case config::LogLevel::kTrace: return spdlog::level::trace;
    case config::LogLevel::kDebug: return spdlog::level::debug;
    case config::LogLevel::kInfo: return spdlog::level::info;
    case config::LogLevel::kWarn: return spdlog::level::warn;
    case config::LogLevel::kError: return spdlog::level::err;
  }
  return spdlog::level::info;
}

}  // namespace

void init_logging(config::LogLevel level, int rank, const std::string& role) {
  static auto logger = [] {
    auto created = spdlog::stderr_color_mt("spct");
    spdlog::set_default_logger(created);
    return created;
  }();
  std::string prefix;
  if (rank >= 0) prefix = "[rank " + std::to_string(rank) + (role.empty() ? "" : " " + role) + "] ";
  logger->set_pattern("%H:%M:%S.%e %^%-5l%$ " + prefix + "%v");
  logger->set_level(spdlog_level(level));
  logger->flush_on(spdlog::level::warn);
}

}  // namespace spct
