#include "models/io/peft_adapter.h"

#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <span>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "models/io/safetensors.h"
#include "models/io/safetensors_writer.h"
#include "models/io/tensor_convert.h"

namespace spct::model_io {
namespace {

constexpr const char* kConfigFile = "adapter_config.json";
constexpr const char* kWeightsFile = "adapter_model.safetensors";
// PEFT's saved keys are the wrapped model's names: PeftModel.base_model (LoraModel).model (the HF model).
constexpr const char* kKeyPrefix = "base_model.model.";

std::string shape_text(std::span<const int64_t> shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i == 0 ? "" : ", ") + std::to_string(shape[i]);
  return text + "]";
}

}  // namespace

void save_peft_adapter(const models::Transformer& model, const std::filesystem::path& dir,
                       const std::string& base_model) {
  const std::optional<models::LoraConfig> config = models::lora_config_of(model);
  if (!config) throw InputError("peft export: the model has no LoRA adapters");
  const std::vector<models::NamedTensor> adapters = model.adapter_parameters();
  std::filesystem::create_directories(dir);
  std::vector<at::Tensor> converted;  // kept alive until the writer has written their bytes
  converted.reserve(adapters.size());
  SafetensorsWriter writer;
  writer.set_metadata("format", "pt");
  for (const models::NamedTensor& adapter : adapters) {
    const std::optional<DType> dtype = to_dtype(adapter.tensor.scalar_type());
    if (!dtype) throw InputError("peft export: " + adapter.name + " has a dtype safetensors cannot store");
    converted.push_back(contiguous_cpu(adapter.tensor.detach(), *dtype));
    writer.add(kKeyPrefix + adapter.name, *dtype, converted.back().sizes().vec(), bytes_of(converted.back()));
  }
  writer.write(dir / kWeightsFile);
  const nlohmann::json json = {
      {"peft_type", "LORA"},
      {"task_type", "CAUSAL_LM"},
      {"base_model_name_or_path", base_model},
      {"r", config->rank},
      {"lora_alpha", config->alpha},
      {"lora_dropout", config->dropout},
      {"target_modules", config->target_modules},
      {"bias", "none"},
      {"fan_in_fan_out", false},
      {"use_rslora", false},
      {"use_dora", false},
      {"init_lora_weights", true},
      {"inference_mode", true},
      {"modules_to_save", nullptr},
  };
  write_file_atomically(dir / kConfigFile, json.dump(2) + "\n");
}

models::LoraConfig read_peft_config(const std::filesystem::path& dir) {
  const std::filesystem::path path = dir / kConfigFile;
  std::ifstream in(path);
  if (!in) throw InputError(path.string() + ": cannot read the adapter config");
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path.string() + ": not valid JSON: " + e.what());
  }
  const auto require = [&](const char* key) -> const nlohmann::json& {
    if (!json.is_object() || !json.contains(key)) throw InputError(path.string() + ": missing key '" + key + "'");
    return json.at(key);
  };
  models::LoraConfig config;
  try {
    if (require("peft_type").get<std::string>() != "LORA") {
      throw InputError(path.string() + ": peft_type '" + json.at("peft_type").get<std::string>() +
                       "' is not LORA, the only adapter spct loads");
    }
    config.rank = require("r").get<int64_t>();
    config.alpha = require("lora_alpha").get<double>();
    config.dropout = json.value("lora_dropout", 0.0);
    const nlohmann::json& targets = require("target_modules");
    if (targets.is_string()) {
      throw InputError(path.string() + ": target_modules as a regular expression is not supported; list the names");
    }
    config.target_modules = targets.get<std::vector<std::string>>();
    if (json.value("use_rslora", false)) throw InputError(path.string() + ": use_rslora is not supported");
    if (json.value("use_dora", false)) throw InputError(path.string() + ": use_dora is not supported");
    if (json.value("bias", std::string("none")) != "none") {
      throw InputError(path.string() + ": bias '" + json.at("bias").get<std::string>() + "' is not supported (none)");
    }
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path.string() + ": " + e.what());
  }
  return config;
}

void load_peft_adapter(models::Transformer& model, const std::filesystem::path& dir) {
  if (model.adapter_parameters().empty()) models::attach_lora(model, read_peft_config(dir), /*seed=*/0);
  const std::filesystem::path path = dir / kWeightsFile;
  const SafetensorsFile file(path);
  const std::vector<models::NamedTensor> adapters = model.adapter_parameters();
  // Every check runs before any adapter is written.
  std::set<std::string> wanted;
  std::vector<TensorView> sources;
  for (const models::NamedTensor& adapter : adapters) {
    const std::string key = kKeyPrefix + adapter.name;
    wanted.insert(key);
    const std::optional<TensorView> view = file.find(key);
    if (!view) throw InputError(path.string() + ": no tensor '" + key + "', which the model's adapters need");
    if (!std::equal(view->shape.begin(), view->shape.end(), adapter.tensor.sizes().begin(),
                    adapter.tensor.sizes().end())) {
      throw InputError(path.string() + ": tensor '" + key + "' has shape " + shape_text(view->shape) +
                       ", the adapter needs " +
                       shape_text({adapter.tensor.sizes().data(), adapter.tensor.sizes().size()}));
    }
    sources.push_back(*view);
  }
  for (const TensorInfo& info : file.tensors()) {
    if (!wanted.contains(info.name)) {
      throw InputError(path.string() + ": unexpected tensor '" + info.name + "': the model has no such adapter");
    }
  }
  at::NoGradGuard no_grad;
  for (std::size_t i = 0; i < adapters.size(); ++i) copy_into(sources[i], adapters[i].tensor);
}

}  // namespace spct::model_io
