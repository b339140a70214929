#include "orchestrator/run/run_directory.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/config/render.h"
#include "core/error.h"

namespace spct::run {
namespace fs = std::filesystem;

void RunDirectory::check_available(const config::Config& config) {
  const std::string path = (fs::path(config.run.dir) / config.run.name).string();
  std::error_code error;
  if (fs::exists(fs::path(path) / "config.yaml", error)) {
    throw UsageError("run directory " + path + " already holds a run; choose another run.name (e.g. run.name=" +
                     config.run.name + "-2) or remove the directory");
  }
}

RunDirectory RunDirectory::create(const config::ResolvedConfig& resolved) {
  const config::Config& config = resolved.config;
  check_available(config);
  const std::string path = (fs::path(config.run.dir) / config.run.name).string();
  std::error_code error;
  fs::create_directories(path, error);
  if (error) throw Error(ExitCode::kFailure, "cannot create run directory " + path + ": " + error.message());
  RunDirectory dir(path);
  write_file_atomically(dir.file("config.hash"), config::config_hash(config) + "\n");
  write_file_atomically(dir.file("config.yaml"), config::render_annotated(resolved));
  dir.write_status("running", 0);
  return dir;
}

void RunDirectory::write_status(const std::string& state, int64_t step, const std::string& message) const {
  nlohmann::json status = {{"state", state}, {"step", step}};
  if (!message.empty()) status["message"] = message;
  write_file_atomically(file("status.json"), status.dump() + "\n");
}

}  // namespace spct::run
