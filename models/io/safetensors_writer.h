// Writing .safetensors files (format: models/io/safetensors.h). The output is deterministic for the same tensors:
// header keys in name order, data laid out by element size (largest first) then name, so every tensor starts at a
// multiple of its element size and can be used in place from a memory map; the header is padded with spaces so the
// data section starts at a multiple of 8. Files are written atomically (core/atomic_file.h).
//
// Thread safety: none; one writer per thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "models/io/dtype.h"

namespace spct::model_io {

class SafetensorsWriter {
 public:
  // Queues a tensor. The writer does not copy `bytes` (numel * dtype_size little-endian elements): they must stay
  // valid until write() returns. Throws std::invalid_argument for a duplicate or reserved ("__metadata__") name,
  // a negative dimension, or a byte count that does not match dtype and shape.
  void add(std::string name, DType dtype, std::vector<int64_t> shape, std::span<const std::byte> bytes);

  // Sets one entry of the "__metadata__" map (e.g. {"format": "pt"}, which Hugging Face loaders expect).
  void set_metadata(std::string key, std::string value);

  // The number of queued tensors, and the size in bytes of their data.
  std::size_t tensor_count() const { return tensors_.size(); }
  uint64_t data_bytes() const { return data_bytes_; }

  // The padded JSON header the file will start with (after its 8-byte length).
  std::string header() const;

  // Writes the file atomically. Throws spct::Error (exit code kFailure) on an I/O failure; the target is then
  // left as it was.
  void write(const std::filesystem::path& path) const;

 private:
  struct Pending {
    DType dtype;
    std::vector<int64_t> shape;
    std::span<const std::byte> bytes;
  };
  // Names in data-section order.
  std::vector<std::string> layout_order() const;

  std::map<std::string, Pending> tensors_;
  std::map<std::string, std::string> metadata_;
  uint64_t data_bytes_ = 0;
};

}  // namespace spct::model_io
