// Shard planning, shard index files, and opening single-file and sharded weight directories.
#include "models/io/shard_index.h"

#include <catch2/catch.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "models/io/safetensors_writer.h"
#include "models/io/weight_files.h"
#include "tests/unit/config/test_files.h"

using Catch::Matchers::Contains;
using spct::model_io::DType;
using spct::model_io::plan_shards;
using spct::model_io::read_shard_index;
using spct::model_io::SafetensorsWriter;
using spct::model_io::ShardIndex;
using spct::model_io::WeightFiles;

namespace {

const std::vector<float> kValues = {1, 2, 3, 4};

void write_shard(const std::filesystem::path& path, const std::vector<std::string>& names) {
  SafetensorsWriter writer;
  for (const std::string& name : names) writer.add(name, DType::kF32, {4}, std::as_bytes(std::span(kValues)));
  writer.write(path);
}

}  // namespace

TEST_CASE("shard file names follow Hugging Face's pattern", "[shard_index]") {
  CHECK(spct::model_io::shard_file_name(2, 15) == "model-00002-of-00015.safetensors");
}

TEST_CASE("shards are filled in order up to the limit, an oversized tensor stands alone", "[shard_index]") {
  const std::vector<uint64_t> sizes = {40, 50, 20, 200, 10, 0};
  const auto shards = plan_shards(sizes, 100);
  REQUIRE(shards.size() == 4);
  CHECK(shards[0] == std::vector<std::size_t>{0, 1});
  CHECK(shards[1] == std::vector<std::size_t>{2});
  CHECK(shards[2] == std::vector<std::size_t>{3});
  CHECK(shards[3] == std::vector<std::size_t>{4, 5});
  const auto one = plan_shards(sizes, 1000);
  CHECK(one.size() == 1);
  CHECK(plan_shards(std::vector<uint64_t>{}, 10).empty());
}

TEST_CASE("an index round-trips through its JSON text", "[shard_index]") {
  spct::testing::TempDir dir;
  ShardIndex index;
  index.total_size = 123;
  index.weight_map = {{"a", "model-00001-of-00002.safetensors"}, {"b", "model-00002-of-00002.safetensors"}};
  const std::string path = dir.write("model.safetensors.index.json", spct::model_io::shard_index_json(index));
  const ShardIndex read = read_shard_index(path);
  CHECK(read.total_size == 123);
  CHECK(read.weight_map == index.weight_map);
}

TEST_CASE("malformed indexes name the file and key", "[shard_index]") {
  spct::testing::TempDir dir;
  CHECK_THROWS_WITH(read_shard_index(dir.write("a.json", "{\"weight_map\": [")), Contains("a.json (byte"));
  CHECK_THROWS_WITH(read_shard_index(dir.write("b.json", "{}")), Contains("b.json: key 'weight_map'"));
  CHECK_THROWS_WITH(read_shard_index(dir.write("c.json", R"({"weight_map": {"w": 3}})")),
                    Contains("key 'weight_map.w' must be a file name"));
  CHECK_THROWS_WITH(read_shard_index(dir.write("d.json", R"({"weight_map": {"w": "../etc/passwd"}})")),
                    Contains("not a file in the model directory"));
  CHECK_THROWS_WITH(read_shard_index(dir.write("e.json", R"({"metadata": {"total_size": -1}, "weight_map": {}})")),
                    Contains("'metadata.total_size'"));
}

TEST_CASE("a sharded directory opens as one lookup", "[weight_files]") {
  spct::testing::TempDir dir;
  const std::filesystem::path root = dir.path();
  write_shard(root / "model-00001-of-00002.safetensors", {"a", "b"});
  write_shard(root / "model-00002-of-00002.safetensors", {"c"});
  ShardIndex index;
  index.weight_map = {{"a", "model-00001-of-00002.safetensors"},
                      {"b", "model-00001-of-00002.safetensors"},
                      {"c", "model-00002-of-00002.safetensors"}};
  dir.write("model.safetensors.index.json", spct::model_io::shard_index_json(index));
  const WeightFiles weights(root);
  CHECK(weights.names() == std::vector<std::string>{"a", "b", "c"});
  CHECK(weights.files().size() == 2);
  REQUIRE(weights.find("c").has_value());
  CHECK(weights.find("c")->file.filename() == "model-00002-of-00002.safetensors");
  CHECK_FALSE(weights.find("d").has_value());
}

TEST_CASE("inconsistent shards are InputErrors naming the tensor", "[weight_files]") {
  spct::testing::TempDir dir;
  const std::filesystem::path root = dir.path();
  write_shard(root / "s1.safetensors", {"a", "b"});
  write_shard(root / "s2.safetensors", {"b"});
  ShardIndex index;
  SECTION("a tensor the index does not list") {
    index.weight_map = {{"a", "s1.safetensors"}};
    dir.write("model.safetensors.index.json", spct::model_io::shard_index_json(index));
    CHECK_THROWS_WITH(WeightFiles(root), Contains("s1.safetensors: tensor 'b' is not listed"));
  }
  SECTION("a tensor in two shards") {
    index.weight_map = {{"a", "s1.safetensors"}, {"b", "s2.safetensors"}};
    dir.write("model.safetensors.index.json", spct::model_io::shard_index_json(index));
    CHECK_THROWS_WITH(WeightFiles(root), Contains("tensor 'b' is also in"));
  }
  SECTION("a shard that lacks what the index places there") {
    index.weight_map = {{"a", "s1.safetensors"}, {"b", "s1.safetensors"}, {"z", "s1.safetensors"}};
    dir.write("model.safetensors.index.json", spct::model_io::shard_index_json(index));
    CHECK_THROWS_WITH(WeightFiles(root), Contains("'weight_map.z' names s1.safetensors, which has no tensor 'z'"));
  }
  SECTION("a missing shard") {
    index.weight_map = {{"a", "s3.safetensors"}};
    dir.write("model.safetensors.index.json", spct::model_io::shard_index_json(index));
    CHECK_THROWS_WITH(WeightFiles(root), Contains("s3.safetensors: cannot open"));
  }
}

TEST_CASE("a directory without weights says so", "[weight_files]") {
  spct::testing::TempDir dir;
  CHECK_THROWS_WITH(WeightFiles(dir.path()), Contains("no model.safetensors and no model.safetensors.index.json"));
}
