// Reading .safetensors files (https://huggingface.co/docs/safetensors): an 8-byte little-endian header length N,
// N bytes of JSON, then the data section. The JSON maps each tensor name to {"dtype", "shape", "data_offsets":
// [begin, end)} (offsets relative to the data section), plus an optional "__metadata__" string->string map.
//
// Everything is validated before any byte of tensor data is handed out: the header length fits the file, the
// header is a JSON object, every entry has exactly the three keys with a known dtype, a non-negative shape whose
// element count does not overflow, offsets inside the data section whose length is numel * itemsize, and no two
// tensors overlap. Any failure throws spct::InputError naming the file, the tensor (when one is at fault) and a
// byte offset into the file. Tensor-free: models/io/tensor_convert.h turns views into at::Tensors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "models/io/dtype.h"
#include "models/io/mapped_file.h"

namespace spct::model_io {

// One tensor's header entry, validated.
struct TensorInfo {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  int64_t numel;
  uint64_t begin;  // [begin, end) within the data section
  uint64_t end;
};

// A validated header. `tensors` is sorted by name.
struct SafetensorsHeader {
  uint64_t data_start;  // file offset of the data section: 8 + header length
  std::vector<TensorInfo> tensors;
  std::map<std::string, std::string> metadata;
};

// Parses and validates the header of the safetensors file whose bytes are `file` (the whole file: the data
// section is needed to check offsets). `file_name` only labels error messages. Pure and allocation-bounded by the
// input size, so it is the libFuzzer entry point. Throws spct::InputError on any violation listed above.
SafetensorsHeader parse_safetensors_header(std::span<const std::byte> file, std::string_view file_name);

// A tensor's bytes inside a mapped file, with its dtype and shape. Non-owning: valid while the SafetensorsFile
// it came from lives. `bytes` holds numel * dtype_size(dtype) little-endian elements, not necessarily aligned.
struct TensorView {
  std::string_view name;
  DType dtype;
  std::span<const int64_t> shape;
  std::span<const std::byte> bytes;
};

// A memory-mapped, validated safetensors file. Immutable after construction: any number of threads may look up
// tensors and read their bytes concurrently. Movable; views stay valid until the object is destroyed or moved.
class SafetensorsFile {
 public:
  // Maps and validates `path`. Throws spct::InputError (see parse_safetensors_header; also unreadable files).
  explicit SafetensorsFile(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return file_.path(); }
  // Every tensor's header entry, sorted by name.
  const std::vector<TensorInfo>& tensors() const { return header_.tensors; }
  const std::map<std::string, std::string>& metadata() const { return header_.metadata; }

  // The tensor called `name`, or nullopt when the file has none.
  std::optional<TensorView> find(std::string_view name) const;
  // The tensor called `name`; throws spct::InputError naming the file and the tensor when it is absent.
  TensorView get(std::string_view name) const;
  // The view of an entry of tensors().
  TensorView view(const TensorInfo& info) const;

 private:
  MappedFile file_;
  SafetensorsHeader header_;
};

}  // namespace spct::model_io
