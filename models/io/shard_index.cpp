#include "models/io/shard_index.h"

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"

namespace spct::model_io {

std::string shard_file_name(int shard, int shard_count) {
  char name[64];
  std::snprintf(name, sizeof(name), "model-%05d-of-%05d.safetensors", shard, shard_count);
  return name;
}

ShardIndex read_shard_index(const std::filesystem::path& index_file) {
  const std::string where = index_file.string();
  std::ifstream in(index_file, std::ios::binary);
  if (!in) throw InputError(where + ": cannot open the shard index");
  std::ostringstream text;
  text << in.rdbuf();
  nlohmann::json index;
  try {
    index = nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(where + " (byte " + std::to_string(e.byte) + "): not valid JSON: " + e.what());
  }
  if (!index.is_object()) throw InputError(where + ": the shard index must be a JSON object");

  ShardIndex result;
  if (index.contains("metadata")) {
    const nlohmann::json& metadata = index["metadata"];
    if (!metadata.is_object()) throw InputError(where + ": key 'metadata' must be an object");
    if (metadata.contains("total_size")) {
      if (!metadata["total_size"].is_number_unsigned()) {
        throw InputError(where + ": key 'metadata.total_size' must be a non-negative integer");
      }
      result.total_size = metadata["total_size"].get<uint64_t>();
    }
  }
  if (!index.contains("weight_map") || !index["weight_map"].is_object()) {
    throw InputError(where + ": key 'weight_map' must be an object mapping tensor names to shard files");
  }
  for (const auto& [tensor, file] : index["weight_map"].items()) {
    const std::string key = "weight_map." + tensor;
    if (!file.is_string()) throw InputError(where + ": key '" + key + "' must be a file name string");
    const std::string name = file.get<std::string>();
    // A shard outside the model directory would let a downloaded index read arbitrary files.
    if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
      throw InputError(where + ": key '" + key + "' names '" + name + "', not a file in the model directory");
    }
    result.weight_map.emplace(tensor, name);
  }
  return result;
}

std::string shard_index_json(const ShardIndex& index) {
  const nlohmann::json json = {{"metadata", {{"total_size", index.total_size}}}, {"weight_map", index.weight_map}};
  return json.dump(2) + "\n";
}

std::vector<std::vector<std::size_t>> plan_shards(std::span<const uint64_t> tensor_bytes, uint64_t max_shard_bytes) {
  std::vector<std::vector<std::size_t>> shards;
  uint64_t current_bytes = 0;
  for (std::size_t i = 0; i < tensor_bytes.size(); ++i) {
    if (shards.empty() || (current_bytes > 0 && current_bytes + tensor_bytes[i] > max_shard_bytes)) {
      shards.emplace_back();
      current_bytes = 0;
    }
    shards.back().push_back(i);
    current_bytes += tensor_bytes[i];
  }
  return shards;
}

}  // namespace spct::model_io
