#include "models/io/weight_files.h"

#include <set>

#include "core/error.h"
#include "models/io/shard_index.h"

namespace spct::model_io {

WeightFiles::WeightFiles(const std::filesystem::path& model_dir) {
  const std::filesystem::path index_path = model_dir / kShardIndexFile;
  const std::filesystem::path single_path = model_dir / kSingleWeightsFile;
  if (!std::filesystem::exists(index_path)) {
    if (!std::filesystem::exists(single_path)) {
      throw InputError(model_dir.string() + ": no " + kSingleWeightsFile + " and no " + kShardIndexFile +
                       ": not a Hugging Face safetensors model directory");
    }
    files_.emplace_back(single_path);
    for (const TensorInfo& info : files_.front().tensors()) file_of_tensor_.emplace(info.name, 0);
    return;
  }

  const ShardIndex index = read_shard_index(index_path);
  std::set<std::string> shard_names;
  for (const auto& [tensor, shard] : index.weight_map) shard_names.insert(shard);
  std::map<std::string, std::size_t> shard_position;
  for (const std::string& shard : shard_names) {
    shard_position.emplace(shard, files_.size());
    files_.emplace_back(model_dir / shard);
  }
  for (std::size_t i = 0; i < files_.size(); ++i) {
    for (const TensorInfo& info : files_[i].tensors()) {
      const auto [existing, inserted] = file_of_tensor_.emplace(info.name, i);
      if (!inserted) {
        throw InputError(files_[i].path().string() + ": tensor '" + info.name + "' is also in " +
                         files_[existing->second].path().string());
      }
    }
  }
  for (std::size_t i = 0; i < files_.size(); ++i) {
    for (const TensorInfo& info : files_[i].tensors()) {
      const auto listed = index.weight_map.find(info.name);
      if (listed == index.weight_map.end()) {
        throw InputError(files_[i].path().string() + ": tensor '" + info.name + "' is not listed in " +
                         index_path.string());
      }
      if (shard_position.at(listed->second) != i) {
        throw InputError(index_path.string() + ": key 'weight_map." + info.name + "' names " + listed->second +
                         ", but the tensor is in " + files_[i].path().string());
      }
    }
  }
  for (const auto& [tensor, shard] : index.weight_map) {
    if (!file_of_tensor_.contains(tensor)) {
      throw InputError(index_path.string() + ": key 'weight_map." + tensor + "' names " + shard +
                       ", which has no tensor '" + tensor + "'");
    }
  }
}

std::optional<WeightFiles::Located> WeightFiles::find(std::string_view name) const {
  const auto found = file_of_tensor_.find(name);
  if (found == file_of_tensor_.end()) return std::nullopt;
  const SafetensorsFile& file = files_[found->second];
  return Located{*file.find(name), file.path()};
}

std::vector<std::string> WeightFiles::names() const {
  std::vector<std::string> names;
  names.reserve(file_of_tensor_.size());
  for (const auto& [name, unused] : file_of_tensor_) names.push_back(name);
  return names;
}

std::vector<std::filesystem::path> WeightFiles::files() const {
  std::vector<std::filesystem::path> paths;
  for (const SafetensorsFile& file : files_) paths.push_back(file.path());
  return paths;
}

}  // namespace spct::model_io
