// The manifest that makes a checkpoint directory trustworthy: MANIFEST.json lists every other file in the
// directory (relative path, size, SHA-256) and is written last, after every listed file is on disk. A directory
// whose manifest is missing, unreadable, or disagrees with any file is not a checkpoint, whatever else it holds:
// a write killed at any moment leaves either no manifest or one that matches.
//
// Thread safety: the functions are independent; do not write and verify the same directory concurrently.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace spct::checkpoint {

inline constexpr const char* kManifestFile = "MANIFEST.json";

struct ManifestEntry {
  std::string path;  // relative to the checkpoint directory, '/'-separated
  uint64_t bytes = 0;
  std::string sha256;  // lowercase hex
};

// Hashes every regular file under `dir` (recursively, in path order, except the manifest itself), fsyncs each,
// then writes MANIFEST.json atomically (core/atomic_file.h). Returns the entries written. Throws spct::Error
// (exit code kFailure) naming the file when one cannot be read or the manifest cannot be written.
std::vector<ManifestEntry> write_manifest(const std::filesystem::path& dir);

// Checks `dir` against its manifest: every listed file present with its size and SHA-256, and no file that the
// manifest does not list. Returns an empty string when the directory is intact, else the first problem found
// ("model/model.safetensors: 1200 bytes, the manifest says 4096"). Never throws for a damaged directory.
std::string verify_manifest(const std::filesystem::path& dir);

// The total size in bytes of the files a manifest lists; 0 when there is no readable manifest.
uint64_t manifest_bytes(const std::filesystem::path& dir);

}  // namespace spct::checkpoint
