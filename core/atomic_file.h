// Writing a file so that readers see either the old version or the complete new one, never a torn file, even if
// the process or machine dies midway: the bytes go to a temporary file in the same directory, which is fsynced,
// renamed over the target, and the directory fsynced so the rename itself is durable.
//
// Thread safety: one object per writing thread; distinct objects may write distinct paths concurrently.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <string_view>

namespace spct {

class AtomicFileWriter {
 public:
  // Creates the temporary file next to `path` (whose directory must exist). Throws spct::Error (exit code
  // kFailure) naming the path and the system's reason when it cannot.
  explicit AtomicFileWriter(std::filesystem::path path);
  // Removes the temporary file unless commit() succeeded: an abandoned write leaves the target untouched.
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  // Appends bytes. Throws spct::Error on a write failure (disk full, ...).
  void append(std::span<const std::byte> bytes);
  void append(std::string_view text);

  // Flushes to disk and renames the temporary file over the target. REQUIRES: called at most once.
  void commit();

 private:
  [[noreturn]] void fail(std::string_view what, int error_number) const;

  const std::filesystem::path path_;
  const std::filesystem::path temp_path_;
  int fd_ = -1;
  bool committed_ = false;
};

// Writes `text` to `path` atomically (see AtomicFileWriter).
void write_file_atomically(const std::filesystem::path& path, std::string_view text);

}  // namespace spct
