#include "models/model_config.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/config/config.h"
#include "core/error.h"

namespace spct::models {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& key, const std::string& message) {
  throw InputError("model config: " + key + ": " + message);
}

// Typed readers: a missing or null key keeps `fallback`; a present key of the wrong type is an error.
int64_t get_int(const json& j, const std::string& key, int64_t fallback) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (it->is_number_integer()) return it->get<int64_t>();
  // Some exporters write integral floats (e.g. 8192.0); accept those, reject 1.5.
  if (it->is_number_float()) {
    const double v = it->get<double>();
    if (std::floor(v) == v && std::abs(v) < 9e15) return static_cast<int64_t>(v);
  }
  fail(key, "expected an integer, got " + it->dump());
}

double get_double(const json& j, const std::string& key, double fallback) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_number()) fail(key, "expected a number, got " + it->dump());
  return it->get<double>();
}

bool get_bool(const json& j, const std::string& key, bool fallback) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) fail(key, "expected true or false, got " + it->dump());
  return it->get<bool>();
}

std::string get_string(const json& j, const std::string& key, const std::string& fallback) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_string()) fail(key, "expected a string, got " + it->dump());
  return it->get<std::string>();
}

// eos_token_id may be one id or a list (Llama 3 instruct); the first one is the model's end of sequence.
int64_t get_token_id(const json& j, const std::string& key) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return -1;
  if (it->is_array()) {
    if (it->empty()) return -1;
    if (!(*it)[0].is_number_integer()) fail(key, "expected integer token ids, got " + it->dump());
    return (*it)[0].get<int64_t>();
  }
  return get_int(j, key, -1);
}

struct Architecture {
  const char* class_name;
  const char* model_type;
  Family family;
  bool moe;
};

constexpr Architecture kArchitectures[] = {
    {"LlamaForCausalLM", "llama", Family::kLlama, false},    {"Qwen2ForCausalLM", "qwen2", Family::kQwen2, false},
    {"Qwen3ForCausalLM", "qwen3", Family::kQwen3, false},    {"Qwen3MoeForCausalLM", "qwen3_moe", Family::kQwen3, true},
    {"Gemma2ForCausalLM", "gemma2", Family::kGemma2, false},
};

const Architecture& find_architecture(const json& j) {
  const std::string model_type = get_string(j, "model_type", "");
  std::string class_name;
  if (const auto it = j.find("architectures"); it != j.end() && !it->is_null()) {
    if (!it->is_array() || it->empty() || !(*it)[0].is_string()) {
      fail("architectures", "expected a list of class names, got " + it->dump());
    }
    class_name = (*it)[0].get<std::string>();
  }
  for (const Architecture& a : kArchitectures) {
    if (!class_name.empty() && class_name != a.class_name) continue;
    if (!model_type.empty() && model_type != a.model_type) continue;
    if (class_name.empty() && model_type.empty()) break;
    return a;
  }
  if (class_name.empty() && model_type.empty()) fail("model_type", "missing (and no architectures given)");
  fail(class_name.empty() ? "model_type" : "architectures",
       "unsupported architecture '" + (class_name.empty() ? model_type : class_name) + "' (model_type '" + model_type +
           "'); supported: LlamaForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM, Qwen3MoeForCausalLM, "
           "Gemma2ForCausalLM");
}

// The rotary parameters: transformers 5 writes them as one `rope_parameters` object holding rope_theta too;
// earlier versions (and spct's own exports, which both load) use top-level `rope_theta` and `rope_scaling`.
// Where a file has `rope_parameters`, it is what transformers 5 uses, so it wins.
const json* find_rope_object(const json& j, std::string& key) {
  for (const char* name : {"rope_parameters", "rope_scaling"}) {
    const auto it = j.find(name);
    if (it == j.end() || it->is_null()) continue;
    key = name;
    if (!it->is_object()) fail(key, "expected an object, got " + it->dump());
    return &*it;
  }
  return nullptr;
}

double read_rope_theta(const json& j) {
  std::string key;
  const json* r = find_rope_object(j, key);
  if (r != nullptr && key == "rope_parameters" && r->contains("rope_theta")) {
    return get_double(*r, "rope_theta", 10000.0);
  }
  return get_double(j, "rope_theta", 10000.0);
}

RopeScaling read_rope_scaling(const json& j) {
  RopeScaling s;
  std::string key;
  const json* found = find_rope_object(j, key);
  if (found == nullptr) return s;
  const json& r = *found;
  // Newer configs say "rope_type", older ones "type".
  std::string type = get_string(r, "rope_type", "");
  if (type.empty()) type = get_string(r, "type", "default");
  if (type == "default") return s;
  if (type == "linear") {
    s.type = RopeScalingType::kLinear;
  } else if (type == "llama3") {
    s.type = RopeScalingType::kLlama3;
    s.low_freq_factor = get_double(r, "low_freq_factor", s.low_freq_factor);
    s.high_freq_factor = get_double(r, "high_freq_factor", s.high_freq_factor);
    s.original_max_position = get_int(r, "original_max_position_embeddings", s.original_max_position);
  } else {
    fail(key + ".rope_type", "unsupported '" + type + "'; supported: default, linear, llama3");
  }
  if (r.find("factor") == r.end()) fail(key + ".factor", "missing");
  s.factor = get_double(r, "factor", 1.0);
  return s;
}

// A soft-capping value: null (or absent, where the family's default is null) means no capping, stored as 0.
double get_softcap(const json& j, const std::string& key, double fallback) {
  const auto it = j.find(key);
  if (it == j.end()) return fallback;
  if (it->is_null()) return 0;
  const double v = get_double(j, key, fallback);
  if (!(v > 0)) fail(key, "must be positive or null, got " + it->dump());
  return v;
}

// Gemma 2's own options (Gemma2Config's defaults where a key is absent).
void read_gemma2(const json& j, ModelConfig& c) {
  if (const std::string act = get_string(j, "hidden_activation", "gelu_pytorch_tanh"); act != "gelu_pytorch_tanh") {
    fail("hidden_activation", "unsupported '" + act + "'; only gelu_pytorch_tanh (GeGLU) is implemented");
  }
  if (get_bool(j, "use_bidirectional_attention", false)) {
    fail("use_bidirectional_attention", "bidirectional attention is not supported (spct's models are causal)");
  }
  c.query_pre_attn_scalar = get_double(j, "query_pre_attn_scalar", 256);
  c.attn_logit_softcapping = get_softcap(j, "attn_logit_softcapping", 50.0);
  c.final_logit_softcapping = get_softcap(j, "final_logit_softcapping", 30.0);
  const auto window = j.find("sliding_window");
  const bool no_window = window != j.end() && window->is_null();
  c.sliding_window = no_window ? 0 : get_int(j, "sliding_window", 4096);
  if (const auto it = j.find("layer_types"); it != j.end() && !it->is_null()) {
    if (!it->is_array() || static_cast<int64_t>(it->size()) != c.num_layers) {
      fail("layer_types", "expected a list of num_hidden_layers = " + std::to_string(c.num_layers) +
                              " layer types, got " + it->dump());
    }
    for (int64_t layer = 0; layer < c.num_layers; ++layer) {
      const json& type = (*it)[static_cast<size_t>(layer)];
      if (type == "sliding_attention") {
        c.sliding_window_layers.push_back(layer);
      } else if (type != "full_attention") {
        fail("layer_types[" + std::to_string(layer) + "]",
             "unsupported " + type.dump() + "; supported: full_attention, sliding_attention");
      }
    }
  } else {
    // Configs from before layer_types: transformers makes the even layers sliding.
    for (int64_t layer = 0; layer < c.num_layers; layer += 2) c.sliding_window_layers.push_back(layer);
  }
  if (no_window && !c.sliding_window_layers.empty()) {
    fail("sliding_window", "null, but layer_types names sliding_attention layers (transformers refuses this too)");
  }
}

}  // namespace

bool ModelConfig::is_sliding_layer(int64_t layer) const {
  return std::find(sliding_window_layers.begin(), sliding_window_layers.end(), layer) != sliding_window_layers.end();
}

bool ModelConfig::is_moe_layer(int64_t layer) const {
  if (num_experts == 0) return false;
  if ((layer + 1) % decoder_sparse_step != 0) return false;
  return std::find(mlp_only_layers.begin(), mlp_only_layers.end(), layer) == mlp_only_layers.end();
}

const char* family_name(Family family) {
  switch (family) {
    case Family::kLlama: return "llama";
    case Family::kQwen2: return "qwen2";
    case Family::kQwen3: return "qwen3";
    case Family::kGemma2: return "gemma2";
  }
  return "?";
}

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return "float32";
    case DType::kBFloat16: return "bfloat16";
    case DType::kFloat16: return "float16";
  }
  return "?";
}

void validate(const ModelConfig& c) {
  const auto positive = [](const char* key, int64_t v) {
    if (v <= 0) fail(key, "must be positive, got " + std::to_string(v));
  };
  positive("vocab_size", c.vocab_size);
  positive("hidden_size", c.hidden_size);
  positive("num_hidden_layers", c.num_layers);
  positive("num_attention_heads", c.num_heads);
  positive("num_key_value_heads", c.num_kv_heads);
  positive("head_dim", c.head_dim);
  positive("intermediate_size", c.intermediate_size);
  positive("max_position_embeddings", c.max_position);
  if (c.num_heads % c.num_kv_heads != 0) {
    fail("num_key_value_heads",
         std::to_string(c.num_kv_heads) + " does not divide num_attention_heads " + std::to_string(c.num_heads));
  }
  if (c.head_dim % 2 != 0) fail("head_dim", "must be even for rotary embeddings, got " + std::to_string(c.head_dim));
  if (!(c.rope_theta > 0)) fail("rope_theta", "must be positive");
  if (!(c.rms_norm_eps > 0)) fail("rms_norm_eps", "must be positive");
  if (c.rope_scaling.type != RopeScalingType::kNone && !(c.rope_scaling.factor >= 1.0)) {
    fail("rope_scaling.factor", "must be >= 1, got " + std::to_string(c.rope_scaling.factor));
  }
  if (c.rope_scaling.type == RopeScalingType::kLlama3) {
    if (!(c.rope_scaling.high_freq_factor > c.rope_scaling.low_freq_factor) || !(c.rope_scaling.low_freq_factor > 0)) {
      fail("rope_scaling", "llama3 needs 0 < low_freq_factor < high_freq_factor");
    }
    positive("rope_scaling.original_max_position_embeddings", c.rope_scaling.original_max_position);
  }
  if (c.num_experts < 0) fail("num_experts", "must be >= 0");
  if (c.num_experts > 0) {
    if (c.experts_per_token < 1 || c.experts_per_token > c.num_experts) {
      fail("num_experts_per_tok", "must be in [1, num_experts = " + std::to_string(c.num_experts) + "], got " +
                                      std::to_string(c.experts_per_token));
    }
    positive("moe_intermediate_size", c.moe_intermediate_size);
    positive("decoder_sparse_step", c.decoder_sparse_step);
    if (c.family != Family::kQwen3) fail("num_experts", "mixture of experts is only supported for qwen3");
    if (c.router_aux_loss_coef < 0) fail("router_aux_loss_coef", "must be >= 0");
  }
  if (c.family != Family::kGemma2) {
    // The other families' config.json has no place for these: a model using them could not be saved.
    if (c.sliding_window != 0 || !c.sliding_window_layers.empty()) {
      fail("sliding_window", "sliding-window attention is only supported for gemma2");
    }
    if (c.query_pre_attn_scalar != 0 || c.attn_logit_softcapping != 0 || c.final_logit_softcapping != 0) {
      fail("query_pre_attn_scalar", "query_pre_attn_scalar and logit soft-capping are only supported for gemma2");
    }
    return;
  }
  if (c.qk_norm) fail("qk_norm", "gemma2 has no q/k norms");
  if (c.qkv_bias != c.o_bias) fail("attention_bias", "gemma2 has biases on all four attention projections or none");
  if (!(c.query_pre_attn_scalar > 0)) fail("query_pre_attn_scalar", "must be positive");
  if (c.attn_logit_softcapping < 0) fail("attn_logit_softcapping", "must be positive or null");
  if (c.final_logit_softcapping < 0) fail("final_logit_softcapping", "must be positive or null");
  if (c.sliding_window < 0) fail("sliding_window", "must be positive or null");
  for (const int64_t layer : c.sliding_window_layers) {
    if (layer < 0 || layer >= c.num_layers) {
      fail("layer_types",
           "sliding layer " + std::to_string(layer) + " outside [0, " + std::to_string(c.num_layers) + ")");
    }
  }
  if (!c.sliding_window_layers.empty() && c.sliding_window <= 0) {
    fail("sliding_window", "must be positive when layer_types has sliding_attention layers");
  }
}

ModelConfig from_hf_config(const json& j) {
  if (!j.is_object()) throw InputError("model config: expected a JSON object, got " + std::string(j.type_name()));
  const Architecture& arch = find_architecture(j);
  ModelConfig c;
  c.family = arch.family;
  for (const char* key : {"vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads"}) {
    if (!j.contains(key)) fail(key, "missing");
  }
  c.vocab_size = get_int(j, "vocab_size", 0);
  c.hidden_size = get_int(j, "hidden_size", 0);
  c.num_layers = get_int(j, "num_hidden_layers", 0);
  c.num_heads = get_int(j, "num_attention_heads", 0);
  c.num_kv_heads = get_int(j, "num_key_value_heads", c.num_heads);
  // Qwen3Config defaults head_dim to 128, Gemma2Config to 256; the others derive it from the width.
  const int64_t derived_head_dim = c.num_heads > 0 ? c.hidden_size / c.num_heads : 0;
  const int64_t default_head_dim =
      arch.family == Family::kQwen3 ? 128 : (arch.family == Family::kGemma2 ? 256 : derived_head_dim);
  c.head_dim = get_int(j, "head_dim", default_head_dim);
  c.intermediate_size = get_int(j, "intermediate_size", arch.moe ? get_int(j, "moe_intermediate_size", 0) : 0);
  if (!arch.moe && !j.contains("intermediate_size")) fail("intermediate_size", "missing");
  c.max_position = get_int(j, "max_position_embeddings", arch.family == Family::kGemma2 ? 8192 : 2048);
  c.rope_theta = read_rope_theta(j);
  c.rope_scaling = read_rope_scaling(j);
  c.rms_norm_eps = get_double(j, "rms_norm_eps", 1e-6);
  c.tie_embeddings = get_bool(j, "tie_word_embeddings", arch.family == Family::kGemma2);
  const bool attention_bias = get_bool(j, "attention_bias", false);
  c.qkv_bias = arch.family == Family::kQwen2 || attention_bias;
  c.o_bias = arch.family != Family::kQwen2 && attention_bias;
  c.qk_norm = arch.family == Family::kQwen3;
  if (arch.family == Family::kGemma2) {
    // Gemma2Config reads its activation from hidden_activation; a hidden_act beside it (older exports write
    // both) is ignored by transformers, and so here.
    read_gemma2(j, c);
  } else if (const std::string act = get_string(j, "hidden_act", "silu"); act != "silu") {
    fail("hidden_act", "unsupported '" + act + "'; only silu (SwiGLU) is implemented");
  }
  if (get_bool(j, "mlp_bias", false)) fail("mlp_bias", "MLP biases are not supported");
  if (get_bool(j, "use_sliding_window", false)) {
    fail("use_sliding_window", "sliding-window attention is only supported for Gemma2ForCausalLM");
  }
  if (arch.moe) {
    // transformers 5 writes the expert count as num_local_experts (num_experts is its alias).
    c.num_experts = get_int(j, "num_local_experts", get_int(j, "num_experts", 0));
    if (c.num_experts <= 0) fail("num_experts", "a Qwen3MoeForCausalLM needs num_experts > 0");
    c.experts_per_token = get_int(j, "num_experts_per_tok", 0);
    c.moe_intermediate_size = get_int(j, "moe_intermediate_size", 0);
    c.norm_topk_prob = get_bool(j, "norm_topk_prob", false);
    c.router_aux_loss_coef = get_double(j, "router_aux_loss_coef", 0.001);
    c.decoder_sparse_step = get_int(j, "decoder_sparse_step", 1);
    if (const auto it = j.find("mlp_only_layers"); it != j.end() && !it->is_null()) {
      if (!it->is_array()) fail("mlp_only_layers", "expected a list of layer indices, got " + it->dump());
      for (const json& v : *it) {
        if (!v.is_number_integer()) fail("mlp_only_layers", "expected integers, got " + v.dump());
        c.mlp_only_layers.push_back(v.get<int64_t>());
      }
    }
  }
  // transformers 5 writes "dtype", earlier versions (and spct's exports, which both load) "torch_dtype".
  const char* dtype_key = j.contains("dtype") && !j["dtype"].is_null() ? "dtype" : "torch_dtype";
  const std::string dtype = get_string(j, dtype_key, "float32");
  if (dtype == "float32") {
    c.dtype = DType::kFloat32;
  } else if (dtype == "bfloat16") {
    c.dtype = DType::kBFloat16;
  } else if (dtype == "float16") {
    c.dtype = DType::kFloat16;
  } else {
    fail(dtype_key, "unsupported '" + dtype + "'; supported: float32, bfloat16, float16");
  }
  c.bos_token_id = get_token_id(j, "bos_token_id");
  c.eos_token_id = get_token_id(j, "eos_token_id");
  validate(c);
  return c;
}

json to_hf_config(const ModelConfig& c) {
  const bool moe = c.num_experts > 0;
  const Architecture* arch = nullptr;
  for (const Architecture& a : kArchitectures) {
    if (a.family == c.family && a.moe == moe) arch = &a;
  }
  if (arch == nullptr)
    fail("num_experts",
         std::string("no Hugging Face architecture for ") + family_name(c.family) + " with mixture of experts");
  json j;
  j["architectures"] = json::array({arch->class_name});
  j["model_type"] = arch->model_type;
  j["vocab_size"] = c.vocab_size;
  j["hidden_size"] = c.hidden_size;
  j["num_hidden_layers"] = c.num_layers;
  j["num_attention_heads"] = c.num_heads;
  j["num_key_value_heads"] = c.num_kv_heads;
  j["head_dim"] = c.head_dim;
  j["intermediate_size"] = c.intermediate_size;
  j["max_position_embeddings"] = c.max_position;
  j["rope_theta"] = c.rope_theta;
  switch (c.rope_scaling.type) {
    case RopeScalingType::kNone: j["rope_scaling"] = nullptr; break;
    case RopeScalingType::kLinear:
      j["rope_scaling"] = {{"rope_type", "linear"}, {"factor", c.rope_scaling.factor}};
      break;
    case RopeScalingType::kLlama3:
      j["rope_scaling"] = {{"rope_type", "llama3"},
                           {"factor", c.rope_scaling.factor},
                           {"low_freq_factor", c.rope_scaling.low_freq_factor},
                           {"high_freq_factor", c.rope_scaling.high_freq_factor},
                           {"original_max_position_embeddings", c.rope_scaling.original_max_position}};
      break;
  }
  j["rms_norm_eps"] = c.rms_norm_eps;
  j["tie_word_embeddings"] = c.tie_embeddings;
  // Qwen2 always has q/k/v biases and never an o_proj bias; the others put one flag on all four projections.
  if (c.family != Family::kQwen2) j["attention_bias"] = c.qkv_bias;
  if (c.family == Family::kGemma2) {
    const auto softcap = [](double v) { return v > 0 ? json(v) : json(nullptr); };
    j["hidden_activation"] = "gelu_pytorch_tanh";
    // Gemma2Config declares it an int (and checks types when loading): integral values are written as one.
    const double scalar = c.query_pre_attn_scalar;
    j["query_pre_attn_scalar"] = std::floor(scalar) == scalar ? json(static_cast<int64_t>(scalar)) : json(scalar);
    j["attn_logit_softcapping"] = softcap(c.attn_logit_softcapping);
    j["final_logit_softcapping"] = softcap(c.final_logit_softcapping);
    j["sliding_window"] = c.sliding_window > 0 ? json(c.sliding_window) : json(nullptr);
    json types = json::array();
    for (int64_t layer = 0; layer < c.num_layers; ++layer) {
      types.push_back(c.is_sliding_layer(layer) ? "sliding_attention" : "full_attention");
    }
    j["layer_types"] = types;
  } else {
    j["hidden_act"] = "silu";
  }
  if (c.family == Family::kLlama) j["mlp_bias"] = false;
  if (c.family == Family::kQwen2 || c.family == Family::kQwen3) j["use_sliding_window"] = false;
  if (moe) {
    j["num_experts"] = c.num_experts;
    j["num_experts_per_tok"] = c.experts_per_token;
    j["moe_intermediate_size"] = c.moe_intermediate_size;
    j["norm_topk_prob"] = c.norm_topk_prob;
    j["router_aux_loss_coef"] = c.router_aux_loss_coef;
    j["decoder_sparse_step"] = c.decoder_sparse_step;
    j["mlp_only_layers"] = c.mlp_only_layers;
    j["output_router_logits"] = false;
  }
  j["torch_dtype"] = dtype_name(c.dtype);
  if (c.bos_token_id >= 0) j["bos_token_id"] = c.bos_token_id;
  if (c.eos_token_id >= 0) j["eos_token_id"] = c.eos_token_id;
  return j;
}

ModelConfig from_section(const config::ModelSection& s, int64_t vocab_size) {
  ModelConfig c;
  switch (s.family) {
    case config::ModelFamily::kLlama: c.family = Family::kLlama; break;
    case config::ModelFamily::kQwen2: c.family = Family::kQwen2; break;
    case config::ModelFamily::kQwen3: c.family = Family::kQwen3; break;
  }
  c.vocab_size = vocab_size;
  c.hidden_size = s.hidden_size;
  c.num_layers = s.num_layers;
  c.num_heads = s.num_heads;
  c.num_kv_heads = s.num_kv_heads;
  if (s.num_heads <= 0 || s.hidden_size % s.num_heads != 0) {
    fail("model.num_heads",
         std::to_string(s.num_heads) + " does not divide model.hidden_size " + std::to_string(s.hidden_size));
  }
  c.head_dim = s.hidden_size / s.num_heads;
  c.intermediate_size = s.intermediate_size;
  c.max_position = s.max_position;
  c.rope_theta = s.rope_theta;
  c.rms_norm_eps = s.rms_norm_eps;
  c.tie_embeddings = s.tie_embeddings;
  c.qkv_bias = c.family == Family::kQwen2;
  c.qk_norm = c.family == Family::kQwen3;
  switch (s.dtype) {
    case config::ModelDType::kAuto:
    case config::ModelDType::kFloat32: c.dtype = DType::kFloat32; break;
    case config::ModelDType::kBFloat16: c.dtype = DType::kBFloat16; break;
    case config::ModelDType::kFloat16: c.dtype = DType::kFloat16; break;
  }
  validate(c);
  return c;
}

}  // namespace spct::models
