#include "core/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <string>

#include "core/error.h"

namespace spct {
namespace {

// Unique per writer, so that concurrent writers of one target (two processes saving the same model) do not
// share a temporary file; the last rename wins with a complete file either way.
std::filesystem::path temporary_path_for(const std::filesystem::path& path) {
  std::random_device entropy;
  return path.parent_path() /
         ("." + path.filename().string() + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(entropy()));
}

}  // namespace

AtomicFileWriter::AtomicFileWriter(std::filesystem::path path)
    : path_(std::move(path)), temp_path_(temporary_path_for(path_)) {
  fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd_ < 0) fail("create a temporary file for", errno);
}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_path_.c_str());
}

void AtomicFileWriter::append(std::span<const std::byte> bytes) {
  const std::byte* next = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    const ssize_t written = ::write(fd_, next, left);
    if (written < 0) {
      if (errno == EINTR) continue;
      fail("write", errno);
    }
    next += written;
    left -= static_cast<std::size_t>(written);
  }
}

void AtomicFileWriter::append(std::string_view text) {
  append(std::as_bytes(std::span(text.data(), text.size())));
}

void AtomicFileWriter::commit() {
  if (::fsync(fd_) != 0) fail("flush", errno);
  const int closed = ::close(fd_);
  fd_ = -1;
  if (closed != 0) fail("close", errno);
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) fail("rename a temporary file onto", errno);
  committed_ = true;
  // The rename is only durable once the directory entry is on disk.
  const std::filesystem::path directory = path_.parent_path().empty() ? "." : path_.parent_path();
  const int directory_fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (directory_fd < 0) fail("open the directory of", errno);
  const int synced = ::fsync(directory_fd);
  const int sync_errno = errno;
  ::close(directory_fd);
  if (synced != 0) fail("flush the directory of", sync_errno);
}

void AtomicFileWriter::fail(std::string_view what, int error_number) const {
  throw Error(ExitCode::kFailure,
              "cannot " + std::string(what) + " " + path_.string() + ": " + std::strerror(error_number));
}

void write_file_atomically(const std::filesystem::path& path, std::string_view text) {
  AtomicFileWriter writer(path);
  writer.append(text);
  writer.commit();
}

}  // namespace spct
