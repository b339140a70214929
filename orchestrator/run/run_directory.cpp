#include "orchestrator/run/run_directory.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/config/render.h"
#include "core/error.h"

namespace spct::run {
namespace fs = std::filesystem;

namespace {

[[noreturn]] void io_failure(const std::string& what, const std::string& path) {
  throw Error(ExitCode::kFailure, "cannot " + what + " " + path + ": " + std::strerror(errno));
}

void fsync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags);
  if (fd < 0) io_failure("open", path);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) io_failure("fsync", path);
}

}  // namespace

void write_file_atomically(const std::string& path, const std::string& text) {
  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) io_failure("create", temp);
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      io_failure("write", temp);
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) io_failure("flush", temp);
  if (::rename(temp.c_str(), path.c_str()) != 0) io_failure("rename into place", path);
  fsync_path(fs::path(path).parent_path().empty() ? "." : fs::path(path).parent_path().string(),
             O_RDONLY | O_DIRECTORY);
}

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
