// Sharded Hugging Face checkpoints: model-00001-of-00003.safetensors ... plus model.safetensors.index.json, whose
// "weight_map" names the shard holding each tensor and whose "metadata"."total_size" is the bytes of tensor data.
// Tensor-free.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace spct::model_io {

inline constexpr char kSingleWeightsFile[] = "model.safetensors";
inline constexpr char kShardIndexFile[] = "model.safetensors.index.json";

// "model-00002-of-00005.safetensors" for shard 2 (1-based) of 5.
std::string shard_file_name(int shard, int shard_count);

struct ShardIndex {
  uint64_t total_size = 0;
  std::map<std::string, std::string> weight_map;  // tensor name -> shard file name (relative to the index)
};

// Reads an index file. Throws spct::InputError naming the file and the key at fault: not JSON, no "weight_map"
// object, a file name that is not a plain name in the same directory (no '/' or ".."), a non-integer total_size.
ShardIndex read_shard_index(const std::filesystem::path& index_file);

// The JSON text of `index` in Hugging Face's layout, keys sorted.
std::string shard_index_json(const ShardIndex& index);

// Splits tensors of the given byte sizes, kept in order, into consecutive shards of at most max_shard_bytes each;
// a tensor larger than that gets a shard of its own. Returns each shard's tensor positions. REQUIRES:
// max_shard_bytes > 0.
std::vector<std::vector<std::size_t>> plan_shards(std::span<const uint64_t> tensor_bytes, uint64_t max_shard_bytes);

}  // namespace spct::model_io
