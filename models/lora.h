// LoRA adapters (Hu et al. 2021): W x + (alpha / r) * B A x on chosen projections, with the base model frozen.
//
// Targets are module-name suffixes as in PEFT's target_modules: "q_proj" adapts every
// "model.layers.<i>.self_attn.q_proj"; "mlp.down_proj" only the dense MLP's down projections. Adapter
// parameters are named the PEFT way, "<module>.lora_A.weight" [r, in] and "<module>.lora_B.weight" [out, r]
// (PEFT's saved adapter files prefix them with "base_model.model."); they appear in
// Transformer::adapter_parameters() and, being the only parameters requiring grad, in trainable_parameters().
// Initialisation as PEFT: A ~ U(-1/sqrt(in), 1/sqrt(in)) (kaiming-uniform with a = sqrt(5)), B = 0, so a fresh
// adapter leaves the model's outputs unchanged.
//
// Thread safety: attach and merge mutate the model; no forward pass may run meanwhile.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "models/transformer.h"

namespace spct::models {

struct LoraConfig {
  int64_t rank = 8;
  double alpha = 16.0;   // scale = alpha / rank
  double dropout = 0.0;  // on each adapter's input while training (models/linear.h)
  std::vector<std::string> target_modules = {"q_proj", "v_proj"};
};

// Freezes every base parameter (requires_grad false) and attaches a trainable adapter to each projection whose
// module name is <target> or ends with ".<target>" for some target. Draws A from `seed` in module order. Returns the
// number of adapted projections. Throws spct::InputError when rank < 1, alpha <= 0, dropout outside [0, 1), a
// target matches nothing (the message lists the model's projection names a target may be), or a matched projection
// already has an adapter.
int64_t attach_lora(Transformer& model, const LoraConfig& config, uint64_t seed);

// Folds every adapter into its base weight (W += scale * B A, in W's dtype) and removes it; the model then
// computes the same function without the adapter's extra cost. Returns the number of adapters merged.
int64_t merge_lora(Transformer& model);

// The configuration of the model's adapters as attach_lora would take it (rank, alpha = scale * rank, dropout, and
// as targets the short names of the adapted projections), or nullopt when the model has none.
std::optional<LoraConfig> lora_config_of(const Transformer& model);

// The module names of the projections a language model of `config` has, in Transformer::linears() order, without
// building it: "model.layers.<i>.self_attn.q_proj", ..., "model.layers.<i>.mlp.experts.<e>.down_proj", "lm_head".
std::vector<std::string> projection_names(const ModelConfig& config);

// What attach_lora checks of the targets, on a model not built yet (a launcher's check before the ranks start).
// Throws spct::InputError as attach_lora does for an empty list or a target that matches nothing.
void check_lora_targets(const ModelConfig& config, const std::vector<std::string>& targets);

// The short projection names of `model` a target may be ("q_proj", "down_proj", "lm_head", ...), sorted.
std::vector<std::string> lora_target_names(Transformer& model);

}  // namespace spct::models
