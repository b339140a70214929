#include "models/io/safetensors_writer.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "core/atomic_file.h"

namespace spct::model_io {

void SafetensorsWriter::add(std::string name, DType dtype, std::vector<int64_t> shape,
                            std::span<const std::byte> bytes) {
  if (name == "__metadata__") throw std::invalid_argument("safetensors: '__metadata__' is not a tensor name");
  uint64_t numel = 1;
  for (const int64_t dim : shape) {
    if (dim < 0) throw std::invalid_argument("safetensors: tensor '" + name + "' has a negative dimension");
    numel *= static_cast<uint64_t>(dim);
  }
  if (numel * dtype_size(dtype) != bytes.size()) {
    throw std::invalid_argument("safetensors: tensor '" + name + "' has " + std::to_string(bytes.size()) +
                                " bytes, its dtype and shape need " + std::to_string(numel * dtype_size(dtype)));
  }
  const std::size_t byte_count = bytes.size();
  if (!tensors_.emplace(name, Pending{dtype, std::move(shape), bytes}).second) {
    throw std::invalid_argument("safetensors: tensor '" + name + "' added twice");
  }
  data_bytes_ += byte_count;
}

void SafetensorsWriter::set_metadata(std::string key, std::string value) {
  metadata_[std::move(key)] = std::move(value);
}

std::vector<std::string> SafetensorsWriter::layout_order() const {
  std::vector<std::string> names;
  names.reserve(tensors_.size());
  for (const auto& [name, unused] : tensors_) names.push_back(name);
  // Element sizes are powers of two, so laying out larger elements first keeps every offset a multiple of its
  // own tensor's element size. stable_sort keeps name order within a size.
  std::stable_sort(names.begin(), names.end(), [this](const std::string& a, const std::string& b) {
    return dtype_size(tensors_.at(a).dtype) > dtype_size(tensors_.at(b).dtype);
  });
  return names;
}

std::string SafetensorsWriter::header() const {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata_.empty()) header["__metadata__"] = metadata_;
  uint64_t offset = 0;
  for (const std::string& name : layout_order()) {
    const Pending& tensor = tensors_.at(name);
    header[name] = {{"dtype", dtype_name(tensor.dtype)},
                    {"shape", tensor.shape},
                    {"data_offsets", {offset, offset + tensor.bytes.size()}}};
    offset += tensor.bytes.size();
  }
  std::string text = header.dump();
  // The 8-byte length plus the header fill whole 8-byte words, so the data section is 8-aligned in a mapping.
  text.append((8 - text.size() % 8) % 8, ' ');
  return text;
}

void SafetensorsWriter::write(const std::filesystem::path& path) const {
  const std::string header_text = header();
  std::byte length_prefix[8];
  for (int i = 0; i < 8; ++i) length_prefix[i] = static_cast<std::byte>((header_text.size() >> (8 * i)) & 0xff);

  AtomicFileWriter file(path);
  file.append(length_prefix);
  file.append(header_text);
  for (const std::string& name : layout_order()) file.append(tensors_.at(name).bytes);
  file.commit();
}

}  // namespace spct::model_io
