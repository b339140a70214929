// A read-only memory map of a whole file (RAII): the safetensors reader hands out views into it instead of
// copying tensors, so loading a model reads each byte once, straight into the parameter it belongs to.
//
// Thread safety: the mapping is immutable; any number of threads may read bytes() concurrently.
// Caveat: the file must not be truncated by another process while mapped (the reads would fault); the files this
// maps are written by rename (core/atomic_file.h), which leaves a mapped old version intact.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>

namespace spct::model_io {

class MappedFile {
 public:
  // Maps `path` read-only. An empty file maps to an empty span. Throws spct::InputError naming the file and the
  // system's reason when it cannot be opened, is not a regular file, or cannot be mapped.
  explicit MappedFile(const std::filesystem::path& path);
  ~MappedFile();

  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  // The file's bytes; valid until this object is destroyed or moved from.
  std::span<const std::byte> bytes() const { return {data_, size_}; }
  const std::filesystem::path& path() const { return path_; }

 private:
  void unmap() noexcept;

  std::filesystem::path path_;
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace spct::model_io
