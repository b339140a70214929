// LoRA adapters as PEFT adapter directories, the format `peft.PeftModel.from_pretrained(base, dir)` loads:
//   adapter_config.json          {"peft_type": "LORA", "r", "lora_alpha", "lora_dropout", "target_modules", ...}
//   adapter_model.safetensors    "base_model.model.<module>.lora_A.weight" [r, in] and "...lora_B.weight" [out, r]
// PEFT scales by lora_alpha / r (use_rslora false), as models/lora.h does, so base + adapter compute the same
// function in both. The tensors are stored in the adapters' own dtype.
//
// Thread safety: functions are independent; no forward pass may run on a model an adapter is loaded into.
#pragma once

#include <filesystem>
#include <string>

#include "models/lora.h"
#include "models/transformer.h"

namespace spct::model_io {

// Writes `model`'s adapters into `dir` (created when missing; settings from models::lora_config_of); `base_model`
// is recorded as base_model_name_or_path. Throws spct::InputError when the model has no adapters, spct::Error on
// an I/O failure.
void save_peft_adapter(const models::Transformer& model, const std::filesystem::path& dir,
                       const std::string& base_model);

// Reads <dir>/adapter_config.json. Throws spct::InputError naming the file and key for a missing or malformed
// file, a peft_type other than LORA, or a setting spct does not implement (use_rslora, use_dora, bias).
models::LoraConfig read_peft_config(const std::filesystem::path& dir);

// Loads <dir>'s adapter weights into `model`'s adapters, attaching them first (read_peft_config) when the model
// has none. Every adapter of the model must be in the file with its shape and the file must hold nothing else;
// otherwise spct::InputError naming the tensor and file, with the model's adapters unchanged.
void load_peft_adapter(models::Transformer& model, const std::filesystem::path& dir);

}  // namespace spct::model_io
