// The message a config load refuses with, for tests of config errors.
#pragma once

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "core/config/loader.h"
#include "core/error.h"

namespace spct::testing {

// The message of the UsageError that loading `path` with `overrides` throws; fails the test if loading succeeds.
inline std::string load_error(const std::string& path, const std::vector<std::string>& overrides = {}) {
  try {
    config::load_config(path, overrides);
  } catch (const UsageError& e) {
    return e.what();
  }
  FAIL("expected a config error for " << path);
  return "";
}

}  // namespace spct::testing
