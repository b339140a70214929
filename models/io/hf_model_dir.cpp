#include "models/io/hf_model_dir.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "core/atomic_file.h"
#include "core/error.h"
#include "models/io/safetensors_writer.h"
#include "models/io/shard_index.h"
#include "models/io/tensor_convert.h"
#include "models/io/weight_files.h"

namespace spct::model_io {
namespace {

constexpr char kConfigFile[] = "config.json";
constexpr char kLmHead[] = "lm_head.weight";
constexpr char kEmbedTokens[] = "model.embed_tokens.weight";

DType file_dtype(models::DType dtype) {
  switch (dtype) {
    case models::DType::kFloat32: return DType::kF32;
    case models::DType::kBFloat16: return DType::kBF16;
    case models::DType::kFloat16: return DType::kF16;
  }
  throw std::logic_error("file_dtype: unknown models::DType");
}

std::string shape_text(std::span<const int64_t> shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i > 0 ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path.string() + ": cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Where the weights came from, for messages: the file, or the directory and its shard count.
std::string describe(const WeightFiles& weights) {
  const std::vector<std::filesystem::path> files = weights.files();
  if (files.size() == 1) return files.front().string();
  return files.front().parent_path().string() + " (" + std::to_string(files.size()) + " shards)";
}

// Accepts the lm_head.weight that some tied checkpoints carry only when it really is the file's embedding; a
// different matrix would mean the checkpoint was not tied after all, and loading it tied would silently change
// the model.
void check_tied_copy(const WeightFiles& weights) {
  const WeightFiles::Located lm_head = *weights.find(kLmHead);
  const std::optional<WeightFiles::Located> embedding = weights.find(kEmbedTokens);
  if (embedding) {
    const at::Tensor embedding_values = to_tensor(embedding->view);
    const at::Tensor lm_head_values = to_tensor(lm_head.view).to(embedding_values.scalar_type());
    if (lm_head_values.sizes().equals(embedding_values.sizes()) && lm_head_values.equal(embedding_values)) return;
  }
  throw InputError(lm_head.file.string() + ": tensor 'lm_head.weight' differs from " + kEmbedTokens +
                   ", but config.json ties the embeddings (tie_word_embeddings)");
}

// Whether `name` is a weight file that save_named_tensors may have written.
bool is_weight_file(const std::string& name) {
  static const std::regex kShardName(R"(model-\d{5}-of-\d{5}\.safetensors)");
  return name == kSingleWeightsFile || name == kShardIndexFile || std::regex_match(name, kShardName);
}

void remove_stale_weight_files(const std::filesystem::path& dir, const std::set<std::string>& written) {
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (is_weight_file(name) && !written.contains(name)) std::filesystem::remove(entry.path());
  }
}

void copy_tokenizer_files(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (from.empty()) return;
  if (!std::filesystem::is_directory(from)) {
    throw InputError(from.string() + ": the tokenizer source is not a directory");
  }
  if (std::filesystem::equivalent(from, to)) return;
  for (const char* name : kTokenizerFiles) {
    if (std::filesystem::exists(from / name)) write_file_atomically(to / name, read_text(from / name));
  }
}

}  // namespace

models::ModelConfig read_hf_config(const std::filesystem::path& dir) {
  const std::filesystem::path path = dir / kConfigFile;
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(read_text(path));
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(path.string() + " (byte " + std::to_string(e.byte) + "): not valid JSON: " + e.what());
  }
  try {
    return models::from_hf_config(json);
  } catch (const InputError& e) {
    throw InputError(path.string() + ": " + e.what());
  }
}

void load_named_tensors(const WeightFiles& weights, std::span<const models::NamedTensor> targets,
                        bool tied_embeddings) {
  // Every check runs before any parameter is written, so a bad checkpoint leaves the model as it was.
  std::set<std::string> wanted;
  std::vector<WeightFiles::Located> sources;
  sources.reserve(targets.size());
  for (const models::NamedTensor& target : targets) {
    wanted.insert(target.name);
    std::optional<WeightFiles::Located> found = weights.find(target.name);
    if (!found) {
      throw InputError(describe(weights) + ": no tensor '" + target.name + "', which the model needs with shape " +
                       shape_text(target.tensor.sizes()));
    }
    if (!std::equal(found->view.shape.begin(), found->view.shape.end(), target.tensor.sizes().begin(),
                    target.tensor.sizes().end())) {
      throw InputError(found->file.string() + ": tensor '" + target.name + "' has shape " +
                       shape_text(found->view.shape) + ", the model needs " + shape_text(target.tensor.sizes()));
    }
    sources.push_back(*found);
  }
  for (const std::string& name : weights.names()) {
    if (wanted.contains(name)) continue;
    if (name == kLmHead && tied_embeddings) {
      check_tied_copy(weights);
      continue;
    }
    throw InputError(weights.find(name)->file.string() + ": unexpected tensor '" + name +
                     "': the model has no parameter of that name");
  }
  for (std::size_t i = 0; i < targets.size(); ++i) copy_into(sources[i].view, targets[i].tensor);
}

void load_hf_weights(const std::filesystem::path& dir, models::Transformer& model) {
  const WeightFiles weights(dir);
  const bool tied = model.config().tie_embeddings && model.head() == models::Head::kLanguageModel;
  load_named_tensors(weights, model.named_parameters(), tied);
}

std::unique_ptr<models::Transformer> load_hf_model(const std::filesystem::path& dir, const LoadOptions& options) {
  models::ModelConfig config = read_hf_config(dir);
  if (options.dtype) config.dtype = *options.dtype;
  // The seed only fills parameters that loading then overwrites.
  auto model = std::make_unique<models::Transformer>(config, /*seed=*/0, options.device, options.head);
  load_hf_weights(dir, *model);
  return model;
}

void save_named_tensors(std::span<const models::NamedTensor> tensors, const std::filesystem::path& dir,
                        models::DType dtype, uint64_t max_shard_bytes) {
  const DType stored = file_dtype(dtype);
  std::vector<uint64_t> sizes;
  for (const models::NamedTensor& tensor : tensors) {
    sizes.push_back(static_cast<uint64_t>(tensor.tensor.numel()) * dtype_size(stored));
  }
  std::vector<std::vector<std::size_t>> shards = plan_shards(sizes, std::max<uint64_t>(max_shard_bytes, 1));
  if (shards.empty()) shards.emplace_back();  // a model without parameters still gets its (empty) weights file
  const int shard_count = static_cast<int>(shards.size());
  std::set<std::string> written;
  ShardIndex index;
  for (int shard = 0; shard < shard_count; ++shard) {
    const std::string file_name = shard_count == 1 ? kSingleWeightsFile : shard_file_name(shard + 1, shard_count);
    // Converted copies live only while their shard is written, so saving a GPU or bf16 model needs host memory
    // for one shard, not the whole model.
    std::vector<at::Tensor> converted;
    SafetensorsWriter writer;
    writer.set_metadata("format", "pt");
    for (const std::size_t i : shards[shard]) {
      converted.push_back(contiguous_cpu(tensors[i].tensor, stored));
      writer.add(tensors[i].name, stored, converted.back().sizes().vec(), bytes_of(converted.back()));
      index.weight_map[tensors[i].name] = file_name;
      index.total_size += sizes[i];
    }
    writer.write(dir / file_name);
    written.insert(file_name);
  }
  if (shard_count > 1) {
    // The index goes last: until it lands, a reader still sees the previous complete checkpoint (or none).
    write_file_atomically(dir / kShardIndexFile, shard_index_json(index));
    written.insert(kShardIndexFile);
  }
  remove_stale_weight_files(dir, written);
}

void save_hf_model(const models::Transformer& model, const std::filesystem::path& dir, const SaveOptions& options) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) throw Error(ExitCode::kFailure, "cannot create " + dir.string() + ": " + error.message());
  models::ModelConfig config = model.config();
  config.dtype = options.dtype.value_or(config.dtype);
  write_file_atomically(dir / kConfigFile, models::to_hf_config(config).dump(2) + "\n");
  save_named_tensors(model.named_parameters(), dir, config.dtype, options.max_shard_bytes);
  copy_tokenizer_files(options.tokenizer_source, dir);
}

}  // namespace spct::model_io
