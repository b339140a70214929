#include "core/checkpoint/manifest.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/sha256.h"

namespace spct::checkpoint {
namespace fs = std::filesystem;
namespace {

// Every regular file under `dir` but the manifest, as sorted relative paths.
std::vector<std::string> files_under(const fs::path& dir) {
  std::vector<std::string> out;
  for (const fs::directory_entry& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const std::string relative = fs::relative(entry.path(), dir).generic_string();
    if (relative != kManifestFile) out.push_back(relative);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A file written with plain streams (or by another process) may still sit in the page cache; the manifest
// vouches for it, so it must be on disk first.
void fsync_file(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    if (fd >= 0) ::close(fd);
    throw Error(ExitCode::kFailure, "cannot flush checkpoint file " + path.string() + " to disk");
  }
  ::close(fd);
}

}  // namespace

std::vector<ManifestEntry> write_manifest(const fs::path& dir) {
  std::vector<ManifestEntry> entries;
  nlohmann::json files = nlohmann::json::array();
  for (const std::string& relative : files_under(dir)) {
    const fs::path path = dir / relative;
    fsync_file(path);
    std::error_code error;
    const uint64_t bytes = fs::file_size(path, error);
    if (error) throw Error(ExitCode::kFailure, "cannot stat checkpoint file " + path.string() + ": " + error.message());
    entries.push_back({relative, bytes, sha256_file_hex(path.string())});
    files.push_back({{"path", relative}, {"bytes", bytes}, {"sha256", entries.back().sha256}});
  }
  const nlohmann::json manifest = {{"format", "spct-checkpoint-manifest-1"}, {"files", files}};
  write_file_atomically(dir / kManifestFile, manifest.dump(1) + "\n");
  return entries;
}

namespace {

// The manifest's entries, or an error message.
std::string read_entries(const fs::path& dir, std::vector<ManifestEntry>& entries) {
  std::ifstream in(dir / kManifestFile);
  if (!in) return std::string(kManifestFile) + " is missing (the checkpoint was never completed)";
  std::stringstream text;
  text << in.rdbuf();
  const nlohmann::json manifest = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (manifest.is_discarded() || !manifest.is_object() || !manifest.contains("files") ||
      !manifest["files"].is_array()) {
    return std::string(kManifestFile) + " is not a valid manifest";
  }
  for (const nlohmann::json& file : manifest["files"]) {
    if (!file.is_object() || !file.contains("path") || !file["path"].is_string() || !file.contains("bytes") ||
        !file["bytes"].is_number_unsigned() || !file.contains("sha256") || !file["sha256"].is_string()) {
      return std::string(kManifestFile) + " has a malformed entry: " + file.dump();
    }
    entries.push_back(
        {file["path"].get<std::string>(), file["bytes"].get<uint64_t>(), file["sha256"].get<std::string>()});
  }
  return "";
}

}  // namespace

std::string verify_manifest(const fs::path& dir) {
  try {
    std::vector<ManifestEntry> entries;
    if (std::string problem = read_entries(dir, entries); !problem.empty()) return problem;
    std::map<std::string, const ManifestEntry*> listed;
    for (const ManifestEntry& entry : entries) listed[entry.path] = &entry;
    for (const std::string& relative : files_under(dir)) {
      if (listed.find(relative) == listed.end()) return relative + ": not listed in the manifest";
    }
    for (const ManifestEntry& entry : entries) {
      const fs::path path = dir / entry.path;
      std::error_code error;
      const uint64_t bytes = fs::file_size(path, error);
      if (error) return entry.path + ": missing";
      if (bytes != entry.bytes) {
        return entry.path + ": " + std::to_string(bytes) + " bytes, the manifest says " + std::to_string(entry.bytes);
      }
      if (sha256_file_hex(path.string()) != entry.sha256) return entry.path + ": SHA-256 differs from the manifest";
    }
    return "";
  } catch (const std::exception& e) {
    return std::string("cannot be read: ") + e.what();
  }
}

uint64_t manifest_bytes(const fs::path& dir) {
  std::vector<ManifestEntry> entries;
  if (!read_entries(dir, entries).empty()) return 0;
  uint64_t total = 0;
  for (const ManifestEntry& entry : entries) total += entry.bytes;
  return total;
}

}  // namespace spct::checkpoint
