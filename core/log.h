// Logging for every spct process: spdlog, one line per message, prefixed with the rank and role that wrote it so
// that interleaved output of many ranks (mpirun, SLURM logs) stays readable.
#pragma once

#include <spdlog/spdlog.h>

#include <string>

#include "core/config/choices.h"

namespace spct {

// Sets the global logger's level (run.log_level) and the prefix "[rank 3 reward]". Call once per process,
// again when the role is known. Messages go to stderr; stdout is kept for results (tables, JSON, YAML).
void init_logging(config::LogLevel level, int rank = -1, const std::string& role = "");

}  // namespace spct
