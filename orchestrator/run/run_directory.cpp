#include "orchestrator/run/run_directory.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

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

void RunDirectory::write_config(const config::ResolvedConfig& resolved) const {
  write_file_atomically(file("config.hash"), config::config_hash(resolved.config) + "\n");
  write_file_atomically(file("config.yaml"), config::render_annotated(resolved));
}

RunDirectory RunDirectory::create(const config::ResolvedConfig& resolved) {
  const config::Config& config = resolved.config;
  check_available(config);
  const std::string path = (fs::path(config.run.dir) / config.run.name).string();
  std::error_code error;
  fs::create_directories(path, error);
  if (error) throw Error(ExitCode::kFailure, "cannot create run directory " + path + ": " + error.message());
  RunDirectory dir(path, config.run.steps);
  dir.write_config(resolved);
  dir.write_status("running", 0);
  return dir;
}

RunDirectory RunDirectory::reopen(const config::ResolvedConfig& resolved) {
  const config::Config& config = resolved.config;
  RunDirectory dir((fs::path(config.run.dir) / config.run.name).string(), config.run.steps);
  dir.write_config(resolved);
  return dir;
}

void RunDirectory::write_status(const std::string& state, int64_t step, const std::string& message) const {
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  nlohmann::json status = {{"state", state},
                           {"step", step},
                           {"total_steps", total_steps_},
                           {"host", host},
                           {"pid", static_cast<int64_t>(::getpid())},
                           {"updated_unix_s", std::chrono::duration_cast<std::chrono::seconds>(now).count()}};
  if (!message.empty()) status["message"] = message;
  write_file_atomically(file("status.json"), status.dump() + "\n");
}

bool RunDirectory::finished(const config::Config& config) {
  std::ifstream in(fs::path(config.run.dir) / config.run.name / "status.json");
  const nlohmann::json status = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  return status.is_object() && status.value("state", "") == "finished" && status.contains("step") &&
         status["step"].is_number_integer() && status["step"].get<int64_t>() >= config.run.steps;
}

void RunDirectory::write_failed(const std::string& message) const {
  int64_t step = 0;
  std::ifstream in(file("status.json"));
  const nlohmann::json previous = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (previous.is_object() && previous.contains("step") && previous["step"].is_number_integer()) {
    step = previous["step"].get<int64_t>();
  }
  write_status("failed", step, message);
}

void RunDirectory::truncate_metrics(uint64_t keep_bytes) const {
  const std::string metrics = file("metrics.jsonl");
  std::error_code error;
  const uint64_t size = fs::exists(metrics, error) ? fs::file_size(metrics, error) : 0;
  if (error) throw Error(ExitCode::kFailure, "cannot read " + metrics + ": " + error.message());
  if (size <= keep_bytes) return;
  std::ifstream in(metrics, std::ios::binary);
  std::vector<char> tail(size - keep_bytes);
  in.seekg(static_cast<std::streamoff>(keep_bytes));
  in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
  std::ofstream discarded(file("metrics.discarded.jsonl"), std::ios::binary | std::ios::app);
  discarded.write(tail.data(), static_cast<std::streamsize>(tail.size()));
  // A line cut mid-write by a kill has no newline; end it so the next discarded attempt starts on a new line.
  if (!tail.empty() && tail.back() != '\n') discarded.put('\n');
  discarded.flush();
  if (!in || !discarded) throw Error(ExitCode::kFailure, "cannot move the tail of " + metrics + " aside");
  fs::resize_file(metrics, keep_bytes, error);
  if (error) throw Error(ExitCode::kFailure, "cannot truncate " + metrics + ": " + error.message());
}

}  // namespace spct::run
