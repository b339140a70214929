#include "orchestrator/train/policy_setup.h"

#include "core/error.h"
#include "models/io/hf_model_dir.h"
#include "models/lora.h"
#include "models/model_config.h"
#include "models/tokenizer/factory.h"
#include "orchestrator/train/device_setup.h"
#include "orchestrator/train/memory_estimate.h"
#include "workers/reward/grm_model/meta_rm.h"

namespace spct::train {

std::unique_ptr<tokenizer::Tokenizer> make_run_tokenizer(const config::Config& config) {
  return tokenizer::make_tokenizer(config.tokenizer, config.model.path);
}

std::filesystem::path tokenizer_source_of(const config::Config& config) {
  if (config.tokenizer.kind != config::TokenizerKind::kHf) return {};
  if (config.tokenizer.path.empty()) return config.model.path;
  const std::filesystem::path path(config.tokenizer.path);
  return std::filesystem::is_directory(path) ? path : path.parent_path();
}

JobShapes job_shapes(const config::Config& config) {
  JobShapes shapes;
  if (config.model.path.empty()) {
    shapes.policy = models::from_section(config.model, make_run_tokenizer(config)->vocab_size());
  } else {
    shapes.policy = model_io::read_hf_config(config.model.path);
  }
  if (config.grm.backend == config::GrmBackend::kLocal && !config.grm.model_path.empty()) {
    shapes.grm = model_io::read_hf_config(config.grm.model_path);
  }
  if (!config.grm.meta_model_path.empty()) shapes.meta_rm = grm::read_meta_rm_config(config.grm.meta_model_path);
  return shapes;
}

void check_context_fits(const config::Config& config, const models::ModelConfig& policy_shape) {
  if (config.model.path.empty()) return;  // a new model's model.max_position was checked with the config
  const int64_t longest = config.data.max_prompt_tokens + config.rollout.max_new_tokens;
  if (longest > policy_shape.max_position) {
    throw UsageError("data.max_prompt_tokens + rollout.max_new_tokens (" +
                     std::to_string(config.data.max_prompt_tokens) + " + " +
                     std::to_string(config.rollout.max_new_tokens) + ") exceeds the context of the model at " +
                     "model.path (max_position_embeddings " + std::to_string(policy_shape.max_position) + " in " +
                     (std::filesystem::path(config.model.path) / "config.json").string() + ")");
  }
}

std::unique_ptr<models::Transformer> make_policy(const config::Config& config, const tokenizer::Tokenizer& tokenizer) {
  return make_policy(config, tokenizer, process_device(config.model));
}

std::unique_ptr<models::Transformer> make_policy(const config::Config& config, const tokenizer::Tokenizer& tokenizer,
                                                 at::Device device) {
  std::unique_ptr<models::Transformer> policy;
  if (!config.model.path.empty()) {
    model_io::LoadOptions options;
    options.device = device;
    // model.dtype other than auto casts the loaded weights (e.g. a bfloat16 checkpoint trained in float32).
    switch (config.model.dtype) {
      case config::ModelDType::kAuto: break;
      case config::ModelDType::kFloat32: options.dtype = models::DType::kFloat32; break;
      case config::ModelDType::kBFloat16: options.dtype = models::DType::kBFloat16; break;
      case config::ModelDType::kFloat16: options.dtype = models::DType::kFloat16; break;
    }
    policy = model_io::load_hf_model(config.model.path, options);
    check_context_fits(config, policy->config());
  } else {
    const models::ModelConfig shape = models::from_section(config.model, tokenizer.vocab_size());
    // Weights are drawn on the CPU from run.seed whatever the device, so every rank builds the same model.
    policy = std::make_unique<models::Transformer>(shape, static_cast<uint64_t>(config.run.seed), device);
  }
  policy->set_activation_checkpointing(config.model.activation_checkpointing);
  if (config.model.lora.rank > 0) {
    const config::LoraSection& lora = config.model.lora;
    // Every rank draws the same A from run.seed (and B starts at 0), so all copies of the policy agree.
    try {
      models::attach_lora(
          *policy,
          {.rank = lora.rank, .alpha = lora.alpha, .dropout = lora.dropout, .target_modules = lora.target_modules},
          static_cast<uint64_t>(config.run.seed));
    } catch (const InputError& e) {
      throw UsageError(std::string("model.lora: ") + e.what());
    }
  }
  return policy;
}

}  // namespace spct::train
