#include "orchestrator/run/model_export.h"

#include <fcntl.h>
#include <stdio.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "core/error.h"
#include "core/log.h"

namespace spct::run {
namespace fs = std::filesystem;

void export_model(const fs::path& checkpoint, const RunDirectory& run_dir) {
  const fs::path target = run_dir.file("model");
  const fs::path staging = run_dir.file(".model.partial");
  const auto fail = [&](const std::string& what, const std::error_code& error) {
    throw Error(ExitCode::kFailure,
                "cannot export the model to " + target.string() + ": " + what + ": " + error.message());
  };
  std::error_code error;
  fs::remove_all(staging, error);  // a copy left by a kill during an earlier export
  if (error) fail("cannot remove " + staging.string(), error);
  fs::copy(checkpoint / "model", staging, fs::copy_options::recursive, error);
  if (error) fail("cannot copy " + (checkpoint / "model").string(), error);
  const bool replacing = fs::exists(target, error);
  if (replacing) {
    // One step: `model` becomes the new export and `.model.partial` holds the old one.
    if (::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) != 0) {
      fail("cannot swap in " + staging.string(), std::error_code(errno, std::generic_category()));
    }
    fs::remove_all(staging, error);
    if (error) fail("cannot remove the older export, now " + staging.string(), error);
  } else {
    fs::rename(staging, target, error);
    if (error) fail("cannot move " + staging.string() + " into place", error);
  }
  spdlog::info("model exported to {} (from {})", target.string(), checkpoint.string());
}

}  // namespace spct::run
