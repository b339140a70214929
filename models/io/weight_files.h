// The safetensors weights of a Hugging Face model directory, whether one model.safetensors or shards listed by
// model.safetensors.index.json, opened (memory-mapped and validated) as one name -> tensor lookup. Tensor-free.
//
// Thread safety: immutable after construction; concurrent lookups are safe.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "models/io/safetensors.h"

namespace spct::model_io {

class WeightFiles {
 public:
  // Opens the index and every shard it names when model.safetensors.index.json exists, else model.safetensors.
  // Throws spct::InputError naming the file and tensor at fault: neither file present, a shard missing or
  // malformed, a tensor the index places in a shard that lacks it, a tensor in a shard but not in the index, or
  // one tensor in two shards.
  explicit WeightFiles(const std::filesystem::path& model_dir);

  // The tensor called `name` and the file it lives in, or nullopt.
  struct Located {
    TensorView view;
    const std::filesystem::path& file;
  };
  std::optional<Located> find(std::string_view name) const;

  // Every tensor name across all files, sorted.
  std::vector<std::string> names() const;

  // The files opened, in shard order.
  std::vector<std::filesystem::path> files() const;

 private:
  std::vector<SafetensorsFile> files_;
  std::map<std::string, std::size_t, std::less<>> file_of_tensor_;  // tensor name -> index into files_
};

}  // namespace spct::model_io
