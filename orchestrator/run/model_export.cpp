#include "orchestrator/run/model_export.h"

#include <fcntl.h>
#include <stdio.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

#include "core/error.h"
#include "core/log.h"

namespace spct::run {
namespace fs = std::filesystem;

namespace {

// Copies directory `from` to `run_dir`/`name` atomically, as described in model_export.h.
void install_copy(const fs::path& from, const RunDirectory& run_dir, const std::string& name) {
  const fs::path target = run_dir.file(name);
  const fs::path staging = run_dir.file("." + name + ".partial");
  const auto fail = [&](const std::string& what, const std::error_code& error) {
    const std::string prefix = name == "model" ? "cannot export the model to " : "cannot export the adapter to ";
    throw Error(ExitCode::kFailure, prefix + target.string() + ": " + what + ": " + error.message());
  };
  std::error_code error;
  fs::remove_all(staging, error);  // a copy left by a kill during an earlier export
  if (error) fail("cannot remove " + staging.string(), error);
  fs::copy(from, staging, fs::copy_options::recursive, error);
  if (error) fail("cannot copy " + from.string(), error);
  const bool replacing = fs::exists(target, error);
  if (replacing) {
    // One step: the target becomes the new export and the staging directory holds the old one.
    if (::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) != 0) {
      fail("cannot swap in " + staging.string(), std::error_code(errno, std::generic_category()));
    }
    fs::remove_all(staging, error);
    if (error) fail("cannot remove the older export, now " + staging.string(), error);
  } else {
    fs::rename(staging, target, error);
    if (error) fail("cannot move " + staging.string() + " into place", error);
  }
}

}  // namespace

void export_model(const fs::path& checkpoint, const RunDirectory& run_dir) {
  // The adapter first: status.json's "finished" follows the whole export, and model/ is what readers look for.
  if (fs::exists(checkpoint / "adapter")) install_copy(checkpoint / "adapter", run_dir, "adapter");
  install_copy(checkpoint / "model", run_dir, "model");
  spdlog::info("model exported to {} (from {})", run_dir.file("model"), checkpoint.string());
}

}  // namespace spct::run
