#include "core/checkpoint/checkpoint_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <fstream>

#include "core/atomic_file.h"
#include "core/checkpoint/manifest.h"
#include "core/error.h"
#include "core/log.h"

namespace spct::checkpoint {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kPrefix = "step-";
constexpr std::string_view kStagingPrefix = ".partial-";
constexpr const char* kLatestFile = "latest";

[[noreturn]] void fail(const std::string& what, const std::error_code& error) {
  throw Error(ExitCode::kFailure, what + ": " + error.message());
}

// Makes a rename or removal inside `dir` durable.
void fsync_directory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // best effort: some file systems refuse to open directories
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

std::optional<int64_t> step_of_directory(const std::string& name) {
  if (name.size() <= kPrefix.size() || name.compare(0, kPrefix.size(), kPrefix) != 0) return std::nullopt;
  int64_t step = 0;
  const char* begin = name.data() + kPrefix.size();
  const char* end = name.data() + name.size();
  const auto [ptr, error] = std::from_chars(begin, end, step);
  if (error != std::errc() || ptr != end || step < 0) return std::nullopt;
  return step;
}

CheckpointStore::CheckpointStore(fs::path root, Retention retention) : root_(std::move(root)), retention_(retention) {}

std::string CheckpointStore::directory_name(int64_t step) {
  char name[32];
  std::snprintf(name, sizeof(name), "step-%08lld", static_cast<long long>(step));
  return name;
}

fs::path CheckpointStore::final_path(int64_t step) const {
  return root_ / directory_name(step);
}

fs::path CheckpointStore::staging_path(int64_t step) const {
  return root_ / (std::string(kStagingPrefix) + directory_name(step));
}

fs::path CheckpointStore::stage(int64_t step) const {
  std::error_code error;
  fs::create_directories(root_, error);
  if (error) fail("cannot create checkpoint directory " + root_.string(), error);
  for (const fs::directory_entry& entry : fs::directory_iterator(root_)) {
    if (entry.path().filename().string().rfind(kStagingPrefix, 0) == 0) fs::remove_all(entry.path(), error);
  }
  fs::path staging = staging_path(step);
  fs::create_directories(staging, error);
  if (error) fail("cannot create checkpoint staging directory " + staging.string(), error);
  return staging;
}

fs::path CheckpointStore::commit(int64_t step) const {
  const fs::path staging = staging_path(step);
  fs::path target = final_path(step);
  write_manifest(staging);
  fsync_directory(staging);
  std::error_code error;
  if (fs::exists(target, error)) {
    // A checkpoint of this step from an earlier attempt: the new one replaces it. Both are complete; in the
    // window between removal and rename the older checkpoints remain.
    fs::remove_all(target, error);
    if (error) fail("cannot replace checkpoint " + target.string(), error);
  }
  fs::rename(staging, target, error);
  if (error) fail("cannot move checkpoint " + staging.string() + " into place", error);
  fsync_directory(root_);
  point_latest_at(step);
  prune();
  return target;
}

void CheckpointStore::point_latest_at(int64_t step) const {
  const std::string line = directory_name(step) + "\n";
  std::ifstream in(root_ / kLatestFile);
  std::string current;
  std::getline(in, current);
  if (in && current + "\n" == line) return;
  write_file_atomically(root_ / kLatestFile, line);
}

std::vector<CheckpointRef> CheckpointStore::list() const {
  std::vector<CheckpointRef> out;
  std::error_code error;
  if (!fs::is_directory(root_, error)) return out;
  for (const fs::directory_entry& entry : fs::directory_iterator(root_, error)) {
    if (!entry.is_directory()) continue;
    if (const std::optional<int64_t> step = step_of_directory(entry.path().filename().string())) {
      out.push_back({entry.path(), *step});
    }
  }
  std::sort(out.begin(), out.end(), [](const CheckpointRef& a, const CheckpointRef& b) { return a.step > b.step; });
  return out;
}

std::optional<CheckpointRef> CheckpointStore::latest_valid(std::vector<std::string>& warnings) const {
  for (const CheckpointRef& candidate : list()) {
    const std::string problem = verify_manifest(candidate.path);
    if (problem.empty()) return candidate;
    warnings.push_back("checkpoint " + candidate.path.string() + " is damaged (" + problem +
                       "); falling back to an older one");
  }
  return std::nullopt;
}

void CheckpointStore::prune() const {
  const std::vector<CheckpointRef> all = list();
  for (std::size_t i = static_cast<std::size_t>(retention_.keep_last); i < all.size(); ++i) {
    if (retention_.keep_every > 0 && all[i].step % retention_.keep_every == 0) continue;
    std::error_code error;
    fs::remove_all(all[i].path, error);
    if (error) spdlog::warn("cannot remove old checkpoint {}: {}", all[i].path.string(), error.message());
  }
  fsync_directory(root_);
}

}  // namespace spct::checkpoint
