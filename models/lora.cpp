#include "models/lora.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/matmul.h>
#include <ATen/ops/rand.h>
#include <ATen/ops/zeros.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "core/error.h"

namespace spct::models {
namespace {

bool matches(const std::string& module, const std::string& target) {
  if (module == target) return true;  // a top-level module such as lm_head
  const std::string suffix = "." + target;
  return module.size() > suffix.size() && module.compare(module.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The last component of a module path ("q_proj" of "model.layers.0.self_attn.q_proj").
std::string short_name(const std::string& module) {
  const std::size_t dot = module.rfind('.');
  return dot == std::string::npos ? module : module.substr(dot + 1);
}

// Throws InputError naming the first target that matches none of `modules`, with the names a target may be.
void check_targets(const std::vector<std::string>& modules, const std::vector<std::string>& targets) {
  for (const std::string& target : targets) {
    if (std::any_of(modules.begin(), modules.end(), [&](const std::string& m) { return matches(m, target); })) {
      continue;
    }
    std::set<std::string> names;
    for (const std::string& module : modules) names.insert(short_name(module));
    std::string valid;
    for (const std::string& name : names) valid += (valid.empty() ? "" : ", ") + name;
    throw InputError("lora: target module '" + target + "' matches no projection of the model (valid: " + valid + ")");
  }
}

}  // namespace

std::vector<std::string> projection_names(const ModelConfig& config) {
  std::vector<std::string> names;
  const auto swiglu = [&](const std::string& prefix) {
    for (const char* projection : {".gate_proj", ".up_proj", ".down_proj"}) names.push_back(prefix + projection);
  };
  for (int64_t layer = 0; layer < config.num_layers; ++layer) {
    const std::string p = "model.layers." + std::to_string(layer) + ".";
    for (const char* projection : {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj"}) {
      names.push_back(p + projection);
    }
    if (config.is_moe_layer(layer)) {
      names.push_back(p + "mlp.gate");
      for (int64_t e = 0; e < config.num_experts; ++e) swiglu(p + "mlp.experts." + std::to_string(e));
    } else {
      swiglu(p + "mlp");
    }
  }
  if (!config.tie_embeddings) names.emplace_back("lm_head");
  return names;
}

void check_lora_targets(const ModelConfig& config, const std::vector<std::string>& targets) {
  if (targets.empty()) throw InputError("lora: target_modules is empty");
  check_targets(projection_names(config), targets);
}

int64_t attach_lora(Transformer& model, const LoraConfig& config, uint64_t seed) {
  if (config.rank < 1) throw InputError("lora: rank must be >= 1, got " + std::to_string(config.rank));
  if (!(config.alpha > 0)) throw InputError("lora: alpha must be > 0");
  if (!(config.dropout >= 0 && config.dropout < 1)) throw InputError("lora: dropout must be in [0, 1)");
  if (config.target_modules.empty()) throw InputError("lora: target_modules is empty");
  std::vector<NamedLinear> linears = model.linears();
  std::vector<std::string> modules;
  for (const NamedLinear& l : linears) modules.push_back(l.name);
  check_targets(modules, config.target_modules);
  model.set_requires_grad(false);
  at::NoGradGuard no_grad;
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const double scale = config.alpha / static_cast<double>(config.rank);
  int64_t attached = 0;
  for (const NamedLinear& l : linears) {
    bool wanted = false;
    for (const std::string& target : config.target_modules) wanted = wanted || matches(l.name, target);
    if (!wanted) continue;
    if (l.linear->has_adapter()) throw InputError("lora: " + l.name + " already has an adapter");
    const at::Tensor& w = l.linear->weight;
    const int64_t out_features = w.size(0);
    const int64_t in_features = w.size(1);
    const double bound = 1.0 / std::sqrt(static_cast<double>(in_features));
    const at::Tensor a =
        (at::rand({config.rank, in_features}, gen, at::TensorOptions().dtype(at::kFloat)) * 2.0 - 1.0) * bound;
    l.linear->lora_a = a.to(w.options()).requires_grad_(true);
    l.linear->lora_b = at::zeros({out_features, config.rank}, w.options()).requires_grad_(true);
    l.linear->lora_scale = scale;
    l.linear->lora_dropout = config.dropout;
    ++attached;
  }
  return attached;
}

int64_t merge_lora(Transformer& model) {
  at::NoGradGuard no_grad;
  int64_t merged = 0;
  for (const NamedLinear& l : model.linears()) {
    Linear& lin = *l.linear;
    if (!lin.has_adapter()) continue;
    // In float32 whatever the weight dtype, then rounded once into the weight.
    const at::Tensor delta = at::matmul(lin.lora_b.to(at::kFloat), lin.lora_a.to(at::kFloat)) * lin.lora_scale;
    lin.weight.add_(delta.to(lin.weight.scalar_type()));
    lin.lora_a = at::Tensor();
    lin.lora_b = at::Tensor();
    lin.lora_scale = 0.0;
    lin.lora_dropout = 0.0;
    ++merged;
  }
  return merged;
}

std::optional<LoraConfig> lora_config_of(const Transformer& model) {
  std::optional<LoraConfig> config;
  std::set<std::string> targets;
  // linears() hands out mutable pointers; reading adapters through them does not modify the model.
  for (const NamedLinear& l : const_cast<Transformer&>(model).linears()) {
    if (!l.linear->has_adapter()) continue;
    if (!config) {
      config = LoraConfig{};
      config->rank = l.linear->lora_a.size(0);
      config->alpha = l.linear->lora_scale * static_cast<double>(config->rank);
      config->dropout = l.linear->lora_dropout;
    }
    targets.insert(short_name(l.name));
  }
  if (config) config->target_modules.assign(targets.begin(), targets.end());
  return config;
}

std::vector<std::string> lora_target_names(Transformer& model) {
  std::set<std::string> names;
  for (const NamedLinear& l : model.linears()) names.insert(short_name(l.name));
  return {names.begin(), names.end()};
}

}  // namespace spct::models
