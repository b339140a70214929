#include "core/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace spct {

void init_logging(const std::string& level, int rank, const std::string& role) {
  static auto logger = [] {
    auto created = spdlog::stderr_color_mt("spct");
    spdlog::set_default_logger(created);
    return created;
  }();
  std::string prefix;
  if (rank >= 0) prefix = "[rank " + std::to_string(rank) + (role.empty() ? "" : " " + role) + "] ";
  logger->set_pattern("%H:%M:%S.%e %^%-5l%$ " + prefix + "%v");
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::warn);
}

}  // namespace spct
