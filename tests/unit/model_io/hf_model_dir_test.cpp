// Hugging Face model directories: save then load is bit-exact (fp32, bf16, fp16; single file and shards), and
// every way a checkpoint can disagree with the model is an InputError naming the tensor.
#include "models/io/hf_model_dir.h"

#include <ATen/ops/arange.h>
#include <ATen/ops/ones.h>

#include <catch2/catch.hpp>
#include <cstring>

#include "core/error.h"
#include "models/io/shard_index.h"
#include "models/io/tensor_convert.h"
#include "models/io/weight_files.h"
#include "tests/unit/config/test_files.h"
#include "tests/unit/model_io/safetensors_files.h"
#include "tests/unit/model_io/small_model.h"

using Catch::Matchers::Contains;
using spct::model_io::load_hf_model;
using spct::model_io::save_hf_model;
using spct::model_io::save_named_tensors;
using spct::models::DType;
using spct::models::NamedTensor;
using spct::models::Transformer;

namespace {

// True when both models' parameters have the same names, dtypes, shapes and bytes.
bool bit_identical(const Transformer& a, const Transformer& b) {
  const auto left = a.named_parameters();
  const auto right = b.named_parameters();
  if (left.size() != right.size()) return false;
  for (std::size_t i = 0; i < left.size(); ++i) {
    const at::Tensor x = left[i].tensor.contiguous();
    const at::Tensor y = right[i].tensor.contiguous();
    if (left[i].name != right[i].name || x.scalar_type() != y.scalar_type() || !x.sizes().equals(y.sizes()) ||
        std::memcmp(x.data_ptr(), y.data_ptr(), x.nbytes()) != 0) {
      UNSCOPED_INFO("parameter " << left[i].name << " differs");
      return false;
    }
  }
  return true;
}

// The model's parameters with `name` left out, or replaced by `replacement` (same name).
std::vector<NamedTensor> edited(const Transformer& model, const std::string& name,
                                std::optional<at::Tensor> replacement = std::nullopt) {
  std::vector<NamedTensor> tensors;
  for (const NamedTensor& parameter : model.named_parameters()) {
    if (parameter.name != name) {
      tensors.push_back(parameter);
    } else if (replacement) {
      tensors.push_back({name, *replacement});
    }
  }
  return tensors;
}

std::string load_error(const std::filesystem::path& dir) {
  try {
    load_hf_model(dir);
  } catch (const spct::InputError& e) {
    return e.what();
  }
  FAIL("expected an InputError loading " << dir);
  return "";
}

}  // namespace

TEST_CASE("save then load of a model is bit-exact in fp32 and bf16", "[hf_model_dir]") {
  // fp16 models cannot be built on the CPU (no fp16 matmul kernel); the fp16 cases follow.
  const DType dtype = GENERATE(DType::kFloat32, DType::kBFloat16);
  const bool tied = GENERATE(false, true);
  INFO("dtype " << spct::models::dtype_name(dtype) << (tied ? ", tied" : ", untied"));
  spct::testing::TempDir dir;
  const Transformer original(spct::testing::small_model_config(tied, dtype), 7);
  save_hf_model(original, dir.path());
  const auto loaded = load_hf_model(dir.path());
  CHECK(loaded->config() == original.config());
  CHECK(loaded->dtype() == original.dtype());
  CHECK(bit_identical(original, *loaded));

  // The same model computes the same logits.
  const at::Tensor ids = at::arange(6, at::kLong).reshape({1, 6});
  const at::Tensor positions = at::arange(6, at::kLong).reshape({1, 6});
  const at::Tensor mask = at::ones({1, 6}, at::kBool);
  CHECK(original.forward(ids, positions, mask).equal(loaded->forward(ids, positions, mask)));
}

TEST_CASE("fp16 weights save and load bit-exactly", "[hf_model_dir]") {
  spct::testing::TempDir dir;
  const Transformer model(spct::testing::small_model_config(false), 8);
  // fp16 tensors under the model's names, saved and loaded into fp16 targets of the same shapes.
  std::vector<NamedTensor> half;
  std::vector<NamedTensor> targets;
  for (const NamedTensor& parameter : model.named_parameters()) {
    half.push_back({parameter.name, parameter.tensor.to(at::kHalf)});
    targets.push_back({parameter.name, at::ones(parameter.tensor.sizes(), at::kHalf)});
  }
  save_named_tensors(half, dir.path(), DType::kFloat16, 1ULL << 30);
  spct::model_io::load_named_tensors(spct::model_io::WeightFiles(dir.path()), targets, /*tied_embeddings=*/false);
  for (std::size_t i = 0; i < half.size(); ++i) {
    INFO(half[i].name);
    REQUIRE(targets[i].tensor.scalar_type() == at::kHalf);
    CHECK(std::memcmp(targets[i].tensor.data_ptr(), half[i].tensor.data_ptr(), half[i].tensor.nbytes()) == 0);
  }

  // An fp32 model saved as fp16, loaded (widened exactly) and saved as fp16 again gives the same file.
  spct::model_io::SaveOptions in_fp16;
  in_fp16.dtype = DType::kFloat16;
  spct::testing::TempDir first;
  spct::testing::TempDir second;
  save_hf_model(model, first.path(), in_fp16);
  spct::model_io::LoadOptions in_fp32;
  in_fp32.dtype = DType::kFloat32;
  save_hf_model(*load_hf_model(first.path(), in_fp32), second.path(), in_fp16);
  const bool same_file = spct::testing::read_bytes(std::filesystem::path(first.path()) / "model.safetensors") ==
                         spct::testing::read_bytes(std::filesystem::path(second.path()) / "model.safetensors");
  CHECK(same_file);
}

TEST_CASE("a tied model's file has no lm_head.weight", "[hf_model_dir]") {
  spct::testing::TempDir dir;
  const Transformer original(spct::testing::small_model_config(true), 3);
  save_hf_model(original, dir.path());
  const spct::model_io::SafetensorsFile file(std::filesystem::path(dir.path()) / "model.safetensors");
  CHECK_FALSE(file.find("lm_head.weight").has_value());
  CHECK(file.find("model.embed_tokens.weight").has_value());
  CHECK(file.metadata().at("format") == "pt");
}

TEST_CASE("a tied model accepts an lm_head.weight only when it equals the embedding", "[hf_model_dir]") {
  spct::testing::TempDir dir;
  const Transformer original(spct::testing::small_model_config(true), 3);
  save_hf_model(original, dir.path());
  const at::Tensor embedding = original.named_parameters().front().tensor;
  REQUIRE(original.named_parameters().front().name == "model.embed_tokens.weight");

  std::vector<NamedTensor> with_head = original.named_parameters();
  with_head.push_back({"lm_head.weight", embedding});
  save_named_tensors(with_head, dir.path(), DType::kFloat32, 1ULL << 30);
  CHECK(bit_identical(original, *load_hf_model(dir.path())));

  with_head.back().tensor = embedding.add(1);
  save_named_tensors(with_head, dir.path(), DType::kFloat32, 1ULL << 30);
  CHECK_THAT(load_error(dir.path()), Contains("'lm_head.weight' differs from model.embed_tokens.weight"));
}

TEST_CASE("sharded saves split above the limit, write an index, and load back exactly", "[hf_model_dir]") {
  spct::testing::TempDir dir;
  const std::filesystem::path root = dir.path();
  const Transformer original(spct::testing::small_model_config(false, DType::kBFloat16), 11);
  spct::model_io::SaveOptions sharded;
  sharded.max_shard_bytes = 4096;
  save_hf_model(original, root, sharded);
  CHECK_FALSE(std::filesystem::exists(root / "model.safetensors"));
  const auto index = spct::model_io::read_shard_index(root / "model.safetensors.index.json");
  std::set<std::string> shards;
  for (const auto& [tensor, shard] : index.weight_map) shards.insert(shard);
  CHECK(shards.size() > 2);
  CHECK(shards.contains(spct::model_io::shard_file_name(1, static_cast<int>(shards.size()))));
  CHECK(index.weight_map.size() == original.named_parameters().size());
  uint64_t total = 0;
  for (const auto& parameter : original.named_parameters()) total += parameter.tensor.nbytes();
  CHECK(index.total_size == total);
  for (const std::string& shard : shards) CHECK(std::filesystem::file_size(root / shard) <= 4096 + 4096);
  CHECK(bit_identical(original, *load_hf_model(root)));

  // Saving again as one file removes the shards and the index, which would otherwise win on load.
  const Transformer other(spct::testing::small_model_config(false, DType::kBFloat16), 12);
  save_hf_model(other, root);
  CHECK_FALSE(std::filesystem::exists(root / "model.safetensors.index.json"));
  for (const std::string& shard : shards) CHECK_FALSE(std::filesystem::exists(root / shard));
  CHECK(bit_identical(other, *load_hf_model(root)));
}

TEST_CASE("a missing, unexpected or wrongly shaped tensor is named", "[hf_model_dir]") {
  spct::testing::TempDir dir;
  const Transformer model(spct::testing::small_model_config(false), 5);
  save_hf_model(model, dir.path());
  const std::string victim = "model.layers.1.self_attn.k_proj.bias";

  save_named_tensors(edited(model, victim), dir.path(), DType::kFloat32, 1ULL << 30);
  CHECK_THAT(load_error(dir.path()), Contains("no tensor '" + victim + "', which the model needs with shape [16]"));

  save_named_tensors(edited(model, victim, at::ones({17})), dir.path(), DType::kFloat32, 1ULL << 30);
  CHECK_THAT(load_error(dir.path()),
             Contains("model.safetensors: tensor '" + victim + "' has shape [17], the model needs [16]"));

  std::vector<NamedTensor> extra = model.named_parameters();
  extra.push_back({"model.layers.9.mlp.up_proj.weight", at::ones({2, 2})});
  save_named_tensors(extra, dir.path(), DType::kFloat32, 1ULL << 30);
  CHECK_THAT(load_error(dir.path()), Contains("unexpected tensor 'model.layers.9.mlp.up_proj.weight'"));

  // An untied model needs its lm_head.
  save_named_tensors(edited(model, "lm_head.weight"), dir.path(), DType::kFloat32, 1ULL << 30);
  CHECK_THAT(load_error(dir.path()), Contains("no tensor 'lm_head.weight'"));
}

TEST_CASE("a failed load leaves the model's parameters as they were", "[hf_model_dir]") {
  spct::testing::TempDir dir;
  const Transformer source(spct::testing::small_model_config(false), 5);
  save_named_tensors(edited(source, "model.norm.weight"), dir.path(), DType::kFloat32, 1ULL << 30);
  Transformer target(spct::testing::small_model_config(false), 6);
  const Transformer untouched(spct::testing::small_model_config(false), 6);
  CHECK_THROWS_AS(spct::model_io::load_hf_weights(dir.path(), target), spct::InputError);
  CHECK(bit_identical(target, untouched));
}

TEST_CASE("weights are converted to the dtype asked for", "[hf_model_dir]") {
  spct::testing::TempDir dir;
  const Transformer original(spct::testing::small_model_config(false), 9);
  save_hf_model(original, dir.path());
  spct::model_io::LoadOptions in_bf16;
  in_bf16.dtype = DType::kBFloat16;
  const auto loaded = load_hf_model(dir.path(), in_bf16);
  CHECK(loaded->dtype() == at::kBFloat16);
  const auto expected = original.named_parameters();
  const auto actual = loaded->named_parameters();
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CHECK(actual[i].tensor.equal(expected[i].tensor.to(at::kBFloat16)));
  }

  // Saving in another dtype writes that dtype and says so in config.json.
  spct::testing::TempDir half_dir;
  spct::model_io::SaveOptions in_fp16;
  in_fp16.dtype = DType::kFloat16;
  save_hf_model(original, half_dir.path(), in_fp16);
  CHECK(spct::model_io::read_hf_config(half_dir.path()).dtype == DType::kFloat16);
  const spct::model_io::SafetensorsFile file(std::filesystem::path(half_dir.path()) / "model.safetensors");
  CHECK(file.get("model.norm.weight").dtype == spct::model_io::DType::kF16);
}

TEST_CASE("tokenizer files are copied beside the weights", "[hf_model_dir]") {
  spct::testing::TempDir source;
  source.write("tokenizer.json", R"({"model": {"type": "BPE"}})");
  source.write("tokenizer_config.json", R"({"eos_token": "<|im_end|>"})");
  source.write("unrelated.txt", "not copied");
  spct::testing::TempDir dir;
  const std::filesystem::path out = std::filesystem::path(dir.path()) / "export";
  spct::model_io::SaveOptions with_tokenizer;
  with_tokenizer.tokenizer_source = source.path();
  save_hf_model(Transformer(spct::testing::small_model_config(true), 1), out, with_tokenizer);
  const bool copied_exactly = spct::testing::read_bytes(out / "tokenizer.json") ==
                              spct::testing::read_bytes(std::filesystem::path(source.path()) / "tokenizer.json");
  CHECK(copied_exactly);
  CHECK(std::filesystem::exists(out / "tokenizer_config.json"));
  CHECK_FALSE(std::filesystem::exists(out / "unrelated.txt"));
  CHECK_FALSE(std::filesystem::exists(out / "special_tokens_map.json"));
}

TEST_CASE("a bad or missing config.json is an InputError naming it", "[hf_model_dir]") {
  spct::testing::TempDir dir;
  CHECK_THAT(load_error(dir.path()), Contains("config.json: cannot open"));
  dir.write("config.json", "{\"model_type\": ");
  CHECK_THAT(load_error(dir.path()), Contains("config.json (byte") && Contains("not valid JSON"));
  dir.write("config.json", R"({"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"]})");
  CHECK_THAT(load_error(dir.path()), Contains("config.json: "));
  save_hf_model(Transformer(spct::testing::small_model_config(true), 1), dir.path());
  std::filesystem::remove(std::filesystem::path(dir.path()) / "model.safetensors");
  CHECK_THAT(load_error(dir.path()), Contains("no model.safetensors"));
}
