// The "CONFIG [overrides...]" arguments shared by train, config show and config validate.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "core/config/loader.h"

namespace spct::cli {

struct ConfigArgs {
  std::vector<std::string> positional;  // [CONFIG] [section.key=value ...]

  // Adds the positional arguments to `command`.
  void add_to(CLI::App& command);
  // The first positional is the config file unless it looks like an override; no file means the embedded default.
  std::string path() const;
  std::vector<std::string> overrides() const;
  // Loads the config. Throws spct::UsageError pointing to `spct pipeline show` when the file is a pipeline.
  config::ResolvedConfig load() const;
};

}  // namespace spct::cli
