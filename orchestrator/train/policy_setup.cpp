#include "orchestrator/train/policy_setup.h"

#include "models/io/hf_model_dir.h"
#include "models/model_config.h"
#include "models/tokenizer/factory.h"

namespace spct::train {

std::unique_ptr<tokenizer::Tokenizer> make_run_tokenizer(const config::Config& config) {
  return tokenizer::make_tokenizer(config.tokenizer, config.model.path);
}

std::filesystem::path tokenizer_source_of(const config::Config& config) {
  if (config.tokenizer.kind != "hf") return {};
  if (config.tokenizer.path.empty()) return config.model.path;
  const std::filesystem::path path(config.tokenizer.path);
  return std::filesystem::is_directory(path) ? path : path.parent_path();
}

std::unique_ptr<models::Transformer> make_policy(const config::Config& config, const tokenizer::Tokenizer& tokenizer) {
  if (!config.model.path.empty()) return model_io::load_hf_model(config.model.path);
  const models::ModelConfig shape = models::from_section(config.model, tokenizer.vocab_size());
  return std::make_unique<models::Transformer>(shape, static_cast<uint64_t>(config.run.seed));
}

}  // namespace spct::train
