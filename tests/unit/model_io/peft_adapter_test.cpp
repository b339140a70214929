// PEFT adapter directories: what save_peft_adapter writes loads back bit-exactly into a fresh model (attaching
// the adapters from adapter_config.json), and every way a directory can disagree with the model is an InputError
// naming the file and the tensor or key, with the model's adapters left as they were.
#include "models/io/peft_adapter.h"

#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/equal.h>
#include <ATen/ops/ones.h>
#include <ATen/ops/randn_like.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "models/io/safetensors.h"
#include "tests/unit/config/test_files.h"
#include "tests/unit/model_io/small_model.h"

using Catch::Matchers::Contains;
using spct::model_io::load_peft_adapter;
using spct::model_io::save_peft_adapter;
using spct::models::NamedTensor;
using spct::models::Transformer;

namespace {

// A model with trained-looking (random, non-zero B) adapters on q_proj and down_proj.
std::unique_ptr<Transformer> adapted_model() {
  auto model = std::make_unique<Transformer>(spct::testing::small_model_config(/*tied=*/false), 3);
  spct::models::attach_lora(*model, {.rank = 4, .alpha = 8, .dropout = 0.05, .target_modules = {"q_proj", "down_proj"}},
                            5);
  const at::NoGradGuard no_grad;
  for (const NamedTensor& adapter : model->adapter_parameters()) {
    adapter.tensor.copy_(at::randn_like(adapter.tensor) * 0.1);
  }
  return model;
}

std::string load_error(Transformer& model, const std::filesystem::path& dir) {
  try {
    load_peft_adapter(model, dir);
  } catch (const spct::InputError& e) {
    return e.what();
  }
  return "no error";
}

void rewrite_config(const std::filesystem::path& dir, const std::string& key, const nlohmann::json& value) {
  nlohmann::json config = nlohmann::json::parse(spct::testing::read_file((dir / "adapter_config.json").string()));
  config[key] = value;
  std::ofstream(dir / "adapter_config.json") << config.dump();
}

}  // namespace

TEST_CASE("a PEFT adapter directory round-trips its names and config and bytes") {
  const spct::testing::TempDir scratch;
  const std::filesystem::path dir = std::filesystem::path(scratch.path()) / "adapter";
  const auto model = adapted_model();
  save_peft_adapter(*model, dir, "/models/base");

  const nlohmann::json config = nlohmann::json::parse(spct::testing::read_file((dir / "adapter_config.json").string()));
  CHECK(config["peft_type"] == "LORA");
  CHECK(config["r"] == 4);
  CHECK(config["lora_alpha"].get<double>() == Approx(8));
  CHECK(config["lora_dropout"].get<double>() == Approx(0.05));
  CHECK(config["target_modules"] == nlohmann::json::array({"down_proj", "q_proj"}));
  CHECK(config["base_model_name_or_path"] == "/models/base");
  const spct::model_io::SafetensorsFile file(dir / "adapter_model.safetensors");
  CHECK(file.tensors().size() == 8);  // 2 layers x 2 targets x (A, B)
  CHECK(file.find("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight").has_value());

  // A fresh model gets the adapters attached from the config, and computes the same function bit for bit.
  Transformer fresh(spct::testing::small_model_config(/*tied=*/false), 3);
  load_peft_adapter(fresh, dir);
  const std::vector<NamedTensor> ours = model->adapter_parameters();
  const std::vector<NamedTensor> loaded = fresh.adapter_parameters();
  REQUIRE(loaded.size() == ours.size());
  for (std::size_t i = 0; i < ours.size(); ++i) {
    INFO(ours[i].name);
    CHECK(loaded[i].name == ours[i].name);
    CHECK(at::equal(loaded[i].tensor, ours[i].tensor));
    CHECK(loaded[i].tensor.requires_grad());  // a resumed run trains them on
  }
  const std::optional<spct::models::LoraConfig> read = spct::models::lora_config_of(fresh);
  REQUIRE(read.has_value());
  CHECK(read->dropout == Approx(0.05));
}

TEST_CASE("a PEFT adapter that disagrees with the model is refused naming the file and what is wrong") {
  const spct::testing::TempDir scratch;
  const std::filesystem::path dir = std::filesystem::path(scratch.path()) / "adapter";
  const auto model = adapted_model();
  save_peft_adapter(*model, dir, "base");
  const std::string weights = (dir / "adapter_model.safetensors").string();

  SECTION("a model with other targets") {
    Transformer other(spct::testing::small_model_config(/*tied=*/false), 3);
    spct::models::attach_lora(other, {.rank = 4, .alpha = 8, .target_modules = {"v_proj"}}, 5);
    CHECK_THAT(load_error(other, dir), Contains(weights) && Contains("no tensor") && Contains("v_proj.lora_A"));
  }
  SECTION("another rank") {
    Transformer other(spct::testing::small_model_config(/*tied=*/false), 3);
    spct::models::attach_lora(other, {.rank = 2, .alpha = 8, .target_modules = {"q_proj", "down_proj"}}, 5);
    const std::vector<NamedTensor> before = other.adapter_parameters();
    const at::Tensor a0 = before[0].tensor.clone();
    CHECK_THAT(load_error(other, dir), Contains("has shape [4, 32], the adapter needs [2, 32]"));
    CHECK(at::equal(other.adapter_parameters()[0].tensor, a0));  // nothing written
  }
  SECTION("an extra tensor") {
    Transformer other(spct::testing::small_model_config(/*tied=*/false), 3);
    spct::models::attach_lora(other, {.rank = 4, .alpha = 8, .target_modules = {"q_proj"}}, 5);
    CHECK_THAT(load_error(other, dir), Contains("unexpected tensor") && Contains("down_proj"));
  }
  SECTION("settings spct does not implement") {
    Transformer fresh(spct::testing::small_model_config(/*tied=*/false), 3);
    rewrite_config(dir, "use_dora", true);
    CHECK_THAT(load_error(fresh, dir), Contains("adapter_config.json") && Contains("use_dora"));
    rewrite_config(dir, "use_dora", false);
    rewrite_config(dir, "target_modules", ".*proj");
    CHECK_THAT(load_error(fresh, dir), Contains("regular expression"));
    rewrite_config(dir, "peft_type", "IA3");
    CHECK_THAT(load_error(fresh, dir), Contains("peft_type 'IA3' is not LORA"));
    CHECK(fresh.adapter_parameters().empty());
  }
  SECTION("a broken config file") {
    std::ofstream(dir / "adapter_config.json") << "{\"r\": 4,";
    Transformer fresh(spct::testing::small_model_config(/*tied=*/false), 3);
    CHECK_THAT(load_error(fresh, dir), Contains("adapter_config.json") && Contains("not valid JSON"));
    std::filesystem::remove(dir / "adapter_config.json");
    CHECK_THAT(load_error(fresh, dir), Contains("adapter_config.json") && Contains("cannot read"));
  }
}
