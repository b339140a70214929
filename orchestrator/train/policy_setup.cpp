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
  std::unique_ptr<models::Transformer> policy;
  if (!config.model.path.empty()) {
    model_io::LoadOptions options;
    // model.dtype other than auto casts the loaded weights (e.g. a bfloat16 checkpoint trained in float32).
    for (const models::DType dtype : {models::DType::kFloat32, models::DType::kBFloat16, models::DType::kFloat16}) {
      if (config.model.dtype == models::dtype_name(dtype)) options.dtype = dtype;
    }
    policy = model_io::load_hf_model(config.model.path, options);
  } else {
    const models::ModelConfig shape = models::from_section(config.model, tokenizer.vocab_size());
    policy = std::make_unique<models::Transformer>(shape, static_cast<uint64_t>(config.run.seed));
  }
  policy->set_activation_checkpointing(config.model.activation_checkpointing);
  return policy;
}

}  // namespace spct::train
