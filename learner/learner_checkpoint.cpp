#include "learner/learner_checkpoint.h"

#include <ATen/core/grad_mode.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "models/io/hf_model_dir.h"
#include "models/io/peft_adapter.h"
#include "models/io/safetensors.h"
#include "models/io/safetensors_writer.h"
#include "models/io/tensor_convert.h"

namespace spct::learner {
namespace fs = std::filesystem;
namespace {

constexpr const char* kModelDir = "model";
constexpr const char* kAdapterDir = "adapter";
constexpr const char* kOptimizerFile = "optimizer.safetensors";
constexpr const char* kReferenceFile = "reference.safetensors";
constexpr const char* kLearnerFile = "learner.json";

void write_tensors(const NamedTensors& tensors, const fs::path& path) {
  std::vector<at::Tensor> keep_alive;  // the writer borrows the bytes until write() returns
  model_io::SafetensorsWriter writer;
  writer.set_metadata("format", "pt");
  for (const auto& [name, tensor] : tensors) {
    const std::optional<model_io::DType> dtype = model_io::to_dtype(tensor.scalar_type());
    if (!dtype) throw Error(ExitCode::kFailure, "cannot checkpoint tensor " + name + ": unsupported dtype");
    keep_alive.push_back(model_io::contiguous_cpu(tensor, *dtype));
    writer.add(name, *dtype, keep_alive.back().sizes().vec(), model_io::bytes_of(keep_alive.back()));
  }
  writer.write(path);
}

NamedTensors read_tensors(const fs::path& path) {
  const model_io::SafetensorsFile file(path);
  NamedTensors out;
  for (const model_io::TensorInfo& info : file.tensors()) {
    out.emplace_back(info.name, model_io::to_tensor(file.view(info)).clone());
  }
  return out;
}

// The model's parameters followed by its LoRA adapters (none without LoRA).
std::vector<models::NamedTensor> all_parameters(const models::Transformer& model) {
  std::vector<models::NamedTensor> out = model.named_parameters();
  for (models::NamedTensor& adapter : model.adapter_parameters()) out.push_back(std::move(adapter));
  return out;
}

NamedTensors parameters_of(const models::Transformer& model) {
  NamedTensors out;
  for (const models::NamedTensor& parameter : all_parameters(model)) out.emplace_back(parameter.name, parameter.tensor);
  return out;
}

// Copies the tensors of `path` into `model`'s parameters by name, after checking every name and shape.
void load_parameters(models::Transformer& model, const fs::path& path) {
  const model_io::SafetensorsFile file(path);
  const std::vector<models::NamedTensor> targets = all_parameters(model);
  if (file.tensors().size() != targets.size()) {
    throw InputError(path.string() + ": holds " + std::to_string(file.tensors().size()) + " tensors, the model has " +
                     std::to_string(targets.size()) + " parameters");
  }
  for (const models::NamedTensor& target : targets) {
    const model_io::TensorView view = file.get(target.name);
    if (std::vector<int64_t>(view.shape.begin(), view.shape.end()) != target.tensor.sizes().vec()) {
      throw InputError(path.string() + ": tensor " + target.name + " has another shape than the model's");
    }
  }
  const at::NoGradGuard no_grad;
  for (const models::NamedTensor& target : targets) model_io::copy_into(file.get(target.name), target.tensor);
}

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path.string() + ": cannot open");
  std::stringstream text;
  text << in.rdbuf();
  const nlohmann::json value = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded() || !value.is_object()) throw InputError(path.string() + ": not a JSON object");
  return value;
}

}  // namespace

void save_learner_checkpoint(GrpoLearner& learner, const models::Transformer& policy, const fs::path& dir,
                             const fs::path& tokenizer_source) {
  save_learner_checkpoint(learner, policy, dir, tokenizer_source, learner.optimizer_state());
}

void save_learner_checkpoint(GrpoLearner& learner, const models::Transformer& policy, const fs::path& dir,
                             const fs::path& tokenizer_source, const NamedTensors& optimizer_state) {
  model_io::SaveOptions options;
  options.tokenizer_source = tokenizer_source;
  model_io::save_hf_model(policy, dir / kModelDir, options);
  // With LoRA the base in model/ stays frozen; the adapters go beside it as a PEFT directory.
  if (!policy.adapter_parameters().empty())
    model_io::save_peft_adapter(policy, dir / kAdapterDir, "../" + std::string(kModelDir));
  write_tensors(optimizer_state, dir / kOptimizerFile);
  write_tensors(parameters_of(learner.reference()), dir / kReferenceFile);
  const nlohmann::json state = {{"kl_beta", learner.kl_controller().beta()},
                                {"optimizer_steps", learner.optimizer_steps()}};
  write_file_atomically(dir / kLearnerFile, state.dump(1) + "\n");
}

void load_policy_from_checkpoint(models::Transformer& policy, const fs::path& dir) {
  const bool has_adapter = fs::exists(dir / kAdapterDir);
  if (!has_adapter && !policy.adapter_parameters().empty()) {
    throw InputError(dir.string() +
                     ": the checkpoint has no LoRA adapter (adapter/), but model.lora.rank > 0 "
                     "attached adapters to the policy; resume with model.lora.rank: 0");
  }
  const at::NoGradGuard no_grad;
  model_io::load_hf_weights(dir / kModelDir, policy);
  if (has_adapter) model_io::load_peft_adapter(policy, dir / kAdapterDir);
}

void load_learner_checkpoint(GrpoLearner& learner, models::Transformer& policy, const fs::path& dir) {
  const nlohmann::json state = read_json(dir / kLearnerFile);
  if (!state.contains("kl_beta") || !state["kl_beta"].is_number() || !state.contains("optimizer_steps") ||
      !state["optimizer_steps"].is_number_integer()) {
    throw InputError((dir / kLearnerFile).string() + ": needs numeric kl_beta and integer optimizer_steps");
  }
  if (fs::exists(dir / kAdapterDir) && policy.adapter_parameters().empty()) {
    throw InputError(dir.string() +
                     ": the checkpoint holds a LoRA adapter (adapter/), but the policy has none; "
                     "resume with the run's model.lora settings");
  }
  load_policy_from_checkpoint(policy, dir);
  load_parameters(learner.reference(), dir / kReferenceFile);
  learner.load_optimizer_state(read_tensors(dir / kOptimizerFile));
  learner.kl_controller().set_beta(state["kl_beta"].get<double>());
  learner.set_optimizer_steps(state["optimizer_steps"].get<int64_t>());
}

}  // namespace spct::learner
