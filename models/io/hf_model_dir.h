// Hugging Face model directories: config.json, the weights as model.safetensors or as shards
// (model-0000i-of-0000N.safetensors + model.safetensors.index.json), and the tokenizer files beside them.
//
// Loading maps every tensor by its Hugging Face name onto Transformer::named_parameters(): a parameter the files
// lack, a tensor no parameter takes, or a shape that differs is an spct::InputError naming the tensor and file.
// With tied embeddings the files need no lm_head.weight (a copy identical to the embedding is accepted, as
// Hugging Face writes one for some models). Dtypes are converted to the model's; equal dtypes load bit for bit.
//
// Saving writes config.json, the weights (sharded above SaveOptions::max_shard_bytes, tensors in
// named_parameters() order) and copies the tokenizer files; each file is replaced atomically, and weight files
// of an earlier save with another layout are removed. Saving and loading back is bit-exact in fp32, bf16, fp16.
//
// Thread safety: functions are independent; do not save into a directory another thread reads or writes.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "models/model_config.h"
#include "models/named_tensor.h"
#include "models/transformer.h"

namespace spct::model_io {

class WeightFiles;

// The tokenizer files a model directory may carry; save_hf_model copies those present in the source directory.
inline constexpr const char* kTokenizerFiles[] = {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                                                  "generation_config.json"};

// Reads <dir>/config.json. Throws spct::InputError naming the file (and, from from_hf_config, the key).
models::ModelConfig read_hf_config(const std::filesystem::path& dir);

struct LoadOptions {
  // The dtype the parameters get; nullopt keeps config.json's torch_dtype.
  std::optional<models::DType> dtype;
  at::Device device = at::kCPU;
  models::Head head = models::Head::kLanguageModel;
};

// Builds the model config.json describes and loads its weights. Throws spct::InputError for any malformed or
// mismatching file (see above).
std::unique_ptr<models::Transformer> load_hf_model(const std::filesystem::path& dir, const LoadOptions& options = {});

// Loads the weights of `dir` into an existing model's parameters (same checks as load_hf_model).
void load_hf_weights(const std::filesystem::path& dir, models::Transformer& model);

// Copies the tensors of `weights` into `targets` by name, converting dtype and device. Every target must be
// present with the same shape and every tensor must have a target, except that with `tied_embeddings` an
// "lm_head.weight" equal to the file's embedding is allowed. Throws spct::InputError naming the tensor; all
// checks run before any target is written, so on failure the targets are unchanged.
void load_named_tensors(const WeightFiles& weights, std::span<const models::NamedTensor> targets, bool tied_embeddings);

struct SaveOptions {
  // Weights above this many bytes are split into shards with an index; Hugging Face's default is 5 GB.
  uint64_t max_shard_bytes = 5'000'000'000ULL;
  // The dtype written (config.json's torch_dtype follows); nullopt keeps the model's.
  std::optional<models::DType> dtype;
  // A directory whose tokenizer files (kTokenizerFiles) are copied next to the weights; empty: none.
  std::filesystem::path tokenizer_source;
};

// Saves `model` into `dir` (created when missing). Throws spct::Error (exit code kFailure) on I/O failures.
void save_hf_model(const models::Transformer& model, const std::filesystem::path& dir, const SaveOptions& options = {});

// Writes `tensors` as the weights of `dir` in `dtype` (single file or shards + index, per max_shard_bytes) and
// removes weight files of an earlier save that the new layout does not use. Tensor names must be unique.
void save_named_tensors(std::span<const models::NamedTensor> tensors, const std::filesystem::path& dir,
                        models::DType dtype, uint64_t max_shard_bytes);

}  // namespace spct::model_io
