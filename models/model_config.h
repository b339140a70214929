// The shape of a decoder-only transformer (Llama, Qwen2, Qwen3, Qwen3-MoE, Gemma 2), and its conversion to and
// from a Hugging Face config.json and the experiment config's `model:` section.
//
// Tensor-free on purpose: tokenizers, config checks and the HF-directory reader include it without LibTorch.
//
// Thread safety: plain values; the functions below are pure.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace spct::config {
struct ModelSection;
}

namespace spct::models {

// Which Hugging Face architecture the parameter layout follows. A Qwen3 config with num_experts > 0 is
// Qwen3-MoE ("Qwen3MoeForCausalLM", model_type "qwen3_moe"). Gemma 2 ("Gemma2ForCausalLM") differs from the
// Llama layout in ways its family implies: RMSNorm scales by (1 + weight) in float32, the embeddings are
// multiplied by sqrt(hidden_size), each layer has four norms (the attention and MLP outputs are normed too before
// the residual add), and the MLP is GeGLU (tanh-approximated GELU); its tunable parts are the Gemma fields below.
enum class Family { kLlama, kQwen2, kQwen3, kGemma2 };

enum class DType { kFloat32, kBFloat16, kFloat16 };

// How rotary embedding frequencies are rescaled for contexts longer than the model was trained on.
enum class RopeScalingType {
  kNone,
  kLinear,  // every inverse frequency divided by `factor` (position interpolation)
  kLlama3,  // Llama 3.1: long wavelengths divided by `factor`, short ones kept, a smooth blend between
};

struct RopeScaling {
  RopeScalingType type = RopeScalingType::kNone;
  double factor = 1.0;                   // linear and llama3
  double low_freq_factor = 1.0;          // llama3 only
  double high_freq_factor = 4.0;         // llama3 only
  int64_t original_max_position = 8192;  // llama3 only: the context the base model was trained with

  bool operator==(const RopeScaling&) const = default;
};

struct ModelConfig {
  Family family = Family::kQwen2;
  int64_t vocab_size = 0;
  int64_t hidden_size = 64;
  int64_t num_layers = 2;
  int64_t num_heads = 4;
  int64_t num_kv_heads = 2;  // grouped-query attention; divides num_heads
  int64_t head_dim = 16;     // usually hidden_size / num_heads; Qwen3 sets it independently
  int64_t intermediate_size = 128;
  int64_t max_position = 128;
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;
  double rms_norm_eps = 1e-6;
  bool tie_embeddings = true;
  bool qkv_bias = false;  // biases on q/k/v projections (always on for Qwen2)
  bool o_bias = false;    // bias on the attention output projection (Llama/Qwen3 `attention_bias`)
  bool qk_norm = false;   // RMSNorm over each head of q and k before RoPE (Qwen3)

  // Mixture of experts (Qwen3-MoE). num_experts == 0 means every layer has a dense SwiGLU MLP.
  int64_t num_experts = 0;
  int64_t experts_per_token = 0;         // top-k
  int64_t moe_intermediate_size = 0;     // width of each expert's SwiGLU MLP
  bool norm_topk_prob = true;            // renormalise the top-k routing weights to sum to 1
  double router_aux_loss_coef = 0.001;   // weight of the load-balancing loss in the training loss
  int64_t decoder_sparse_step = 1;       // layer l is sparse when (l + 1) % decoder_sparse_step == 0 ...
  std::vector<int64_t> mlp_only_layers;  // ... and l is not listed here

  // Gemma 2 (zero or empty, i.e. off, for the other families).
  int64_t sliding_window = 0;                  // keys a query of a sliding layer sees: itself and the window - 1 before
  std::vector<int64_t> sliding_window_layers;  // the layers that attend within sliding_window (the others: all)
  double query_pre_attn_scalar = 0;            // attention scale 1 / sqrt(this); 0: 1 / sqrt(head_dim)
  double attn_logit_softcapping = 0;           // attention scores become c * tanh(score / c); 0: no capping
  double final_logit_softcapping = 0;          // the same on the output logits

  DType dtype = DType::kFloat32;

  // Tokens the model was trained to use; -1 when the config does not say.
  int64_t bos_token_id = -1;
  int64_t eos_token_id = -1;

  // True when layer `layer` uses the sparse MoE block instead of the dense MLP.
  bool is_moe_layer(int64_t layer) const;

  // True when layer `layer` attends only to the sliding_window most recent tokens (itself included).
  bool is_sliding_layer(int64_t layer) const;

  bool operator==(const ModelConfig&) const = default;
};

// Throws spct::InputError naming the field when the shape is inconsistent (non-positive sizes, num_kv_heads
// not dividing num_heads, top-k out of range, unknown rope scaling parameters, Gemma options on another family).
void validate(const ModelConfig& config);

// Reads a Hugging Face config.json. Understands architectures/model_type LlamaForCausalLM/"llama",
// Qwen2ForCausalLM/"qwen2", Qwen3ForCausalLM/"qwen3", Qwen3MoeForCausalLM/"qwen3_moe", Gemma2ForCausalLM/"gemma2".
// Missing optional keys take the defaults of the family's transformers config class. Both config styles are
// read: transformers 5's (`rope_parameters` holding rope_theta and the scaling, `dtype`, `num_local_experts`)
// and the earlier one (`rope_theta`, `rope_scaling`, `torch_dtype`, `num_experts`). Gemma 2's sliding layers
// come from `layer_types` or, in configs written before it existed, are the even layers (0, 2, ...), as
// transformers derives them. Throws spct::InputError naming the key for unknown architectures, wrong JSON types,
// unsupported options (hidden_act other than silu, Gemma's hidden_activation other than gelu_pytorch_tanh,
// mlp_bias, Qwen's sliding-window attention, bidirectional attention, layer types other than full and sliding
// attention) and inconsistent shapes.
ModelConfig from_hf_config(const nlohmann::json& json);

// Writes the config.json that Hugging Face transformers loads back into the same architecture, in the earlier
// style, which transformers 4 and 5 both read.
// from_hf_config(to_hf_config(c)) == c for every valid c.
nlohmann::json to_hf_config(const ModelConfig& config);

// A new model's shape from the experiment config; head_dim = hidden_size / num_heads, qwen2 gets QKV biases,
// qwen3 gets q/k norms. Throws spct::InputError when the section is inconsistent.
ModelConfig from_section(const config::ModelSection& section, int64_t vocab_size);

// "llama", "qwen2", "qwen3", "gemma2" / "float32", "bfloat16", "float16".
const char* family_name(Family family);
const char* dtype_name(DType dtype);

}  // namespace spct::models
