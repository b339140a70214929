#include "workers/reward/grm_model/meta_rm.h"

#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "models/device.h"
#include "models/generation.h"
#include "models/io/hf_model_dir.h"
#include "models/io/weight_files.h"
#include "models/model_config.h"
#include "models/tokenizer/factory.h"

namespace spct::grm {
namespace {

constexpr std::string_view kCausalSuffix = "ForCausalLM";
constexpr std::string_view kClassifierSuffix = "ForSequenceClassification";

// "Qwen2ForCausalLM" <-> "Qwen2ForSequenceClassification".
std::string swap_suffix(const std::string& name, std::string_view from, std::string_view to) {
  if (name.size() < from.size() || name.compare(name.size() - from.size(), from.size(), from) != 0) return name;
  return name.substr(0, name.size() - from.size()) + std::string(to);
}

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path.string() + ": cannot be read (a meta RM directory needs config.json)");
  std::stringstream text;
  text << in.rdbuf();
  try {
    return nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(path.string() + ": not JSON: " + e.what());
  }
}

}  // namespace

std::string meta_rm_text(std::string_view prompt, std::string_view critique) {
  return std::string(prompt) + std::string(critique);
}

std::vector<int64_t> meta_rm_tokens(const tokenizer::Tokenizer& tokenizer, std::string_view prompt,
                                    std::string_view critique, int64_t max_position) {
  const std::vector<int32_t> ids = tokenizer.encode(meta_rm_text(prompt, critique));
  const size_t keep = std::min(ids.size(), static_cast<size_t>(std::max<int64_t>(max_position, 1)));
  return {ids.end() - static_cast<std::ptrdiff_t>(keep), ids.end()};
}

std::vector<double> rate_critiques(const models::ScalarHeadModel& model, const tokenizer::Tokenizer& tokenizer,
                                   const std::vector<std::string>& prompts, const std::vector<std::string>& critiques,
                                   int64_t max_batch) {
  if (prompts.size() != critiques.size()) {
    throw Error(ExitCode::kFailure, "meta RM: " + std::to_string(prompts.size()) + " prompts but " +
                                        std::to_string(critiques.size()) + " critiques");
  }
  at::NoGradGuard no_grad;
  const int64_t max_position = model.backbone().config().max_position;
  std::vector<double> ratings;
  ratings.reserve(prompts.size());
  const auto batch = static_cast<size_t>(std::max<int64_t>(max_batch, 1));
  for (size_t begin = 0; begin < prompts.size(); begin += batch) {
    std::vector<std::vector<int64_t>> sequences;
    for (size_t i = begin; i < std::min(prompts.size(), begin + batch); ++i) {
      sequences.push_back(meta_rm_tokens(tokenizer, prompts[i], critiques[i], max_position));
    }
    const models::PaddedBatch padded = models::left_pad(sequences, model.backbone().device());
    const at::Tensor scores =
        model.score(padded.input_ids, padded.position_ids, padded.attention_mask).to(at::kDouble).contiguous();
    const double* data = scores.data_ptr<double>();
    ratings.insert(ratings.end(), data, data + scores.numel());
  }
  return ratings;
}

void save_meta_rm(const models::ScalarHeadModel& model, const std::filesystem::path& dir,
                  const std::filesystem::path& tokenizer_source) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) throw Error(ExitCode::kFailure, "cannot create " + dir.string() + ": " + error.message());
  const models::ModelConfig& config = model.backbone().config();
  nlohmann::json json = models::to_hf_config(config);
  json["architectures"] = nlohmann::json::array(
      {swap_suffix(json["architectures"][0].get<std::string>(), kCausalSuffix, kClassifierSuffix)});
  json["num_labels"] = 1;
  write_file_atomically(dir / "config.json", json.dump(2) + "\n");
  model_io::save_named_tensors(model.named_parameters(), dir, config.dtype, model_io::SaveOptions{}.max_shard_bytes);
  if (tokenizer_source.empty()) return;
  for (const char* name : model_io::kTokenizerFiles) {
    if (!std::filesystem::exists(tokenizer_source / name)) continue;
    std::filesystem::copy_file(tokenizer_source / name, dir / name, std::filesystem::copy_options::overwrite_existing,
                               error);
    if (error)
      throw Error(ExitCode::kFailure, "cannot copy " + (tokenizer_source / name).string() + ": " + error.message());
  }
}

models::ModelConfig read_meta_rm_config(const std::filesystem::path& dir) {
  const std::filesystem::path file = dir / "config.json";
  nlohmann::json json = read_json(file);
  const auto arch = json.find("architectures");
  if (arch == json.end() || !arch->is_array() || arch->empty() || !(*arch)[0].is_string() ||
      (*arch)[0].get<std::string>().find(kClassifierSuffix) == std::string::npos) {
    throw InputError(file.string() + ": architectures must name a *ForSequenceClassification model (a meta RM)");
  }
  if (json.value("num_labels", 1) != 1) throw InputError(file.string() + ": num_labels must be 1 for a meta RM");
  (*arch)[0] = swap_suffix((*arch)[0].get<std::string>(), kClassifierSuffix, kCausalSuffix);
  models::ModelConfig config;
  try {
    config = models::from_hf_config(json);
  } catch (const InputError& e) {
    throw InputError(file.string() + ": " + e.what());
  }
  return config;
}

std::unique_ptr<models::ScalarHeadModel> load_meta_rm(const std::filesystem::path& dir, at::Device device) {
  const models::ModelConfig config = read_meta_rm_config(dir);
  auto model = std::make_unique<models::ScalarHeadModel>(config, 0, device);
  const model_io::WeightFiles weights(dir);
  model_io::load_named_tensors(weights, model->named_parameters(), config.tie_embeddings);
  return model;
}

MetaRmRater::MetaRmRater(std::shared_ptr<const models::ScalarHeadModel> model,
                         std::shared_ptr<const tokenizer::Tokenizer> tokenizer)
    : model_(std::move(model)), tokenizer_(std::move(tokenizer)) {
  if (!model_ || !tokenizer_) throw UsageError("meta RM rater: a model and a tokenizer are required");
}

std::vector<double> MetaRmRater::rate(const std::vector<std::string>& prompts,
                                      const std::vector<std::string>& critiques) {
  return rate_critiques(*model_, *tokenizer_, prompts, critiques);
}

std::unique_ptr<MetaRmRater> load_meta_rm_rater(const std::string& dir, const ModelLoadOptions& load) {
  std::shared_ptr<const tokenizer::Tokenizer> tokenizer = tokenizer::make_tokenizer(load.tokenizer, dir);
  std::shared_ptr<const models::ScalarHeadModel> model = load_meta_rm(dir, models::device_for(load.device));
  return std::make_unique<MetaRmRater>(std::move(model), std::move(tokenizer));
}

}  // namespace spct::grm
