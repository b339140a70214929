#include "models/model_config.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/config/config.h"
#include "core/error.h"
#include "test_models.h"

using spct::InputError;
using namespace spct::models;
using nlohmann::json;

namespace {

// An abridged real Qwen2.5-0.5B config.json.
json qwen2_json() {
  return json::parse(R"({
    "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_act": "silu",
    "vocab_size": 151936, "hidden_size": 896, "intermediate_size": 4864, "num_hidden_layers": 24,
    "num_attention_heads": 14, "num_key_value_heads": 2, "max_position_embeddings": 32768,
    "rope_theta": 1000000.0, "rms_norm_eps": 1e-06, "tie_word_embeddings": true, "torch_dtype": "bfloat16",
    "use_sliding_window": false, "sliding_window": 32768, "bos_token_id": 151643, "eos_token_id": 151643})");
}

// The real Gemma-2-27B config.json (transformers 4.42: no layer_types, no tie_word_embeddings, both
// hidden_act and hidden_activation).
json gemma2_json() {
  return json::parse(R"({
    "architectures": ["Gemma2ForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
    "attn_logit_softcapping": 50.0, "bos_token_id": 2, "cache_implementation": "hybrid", "eos_token_id": 1,
    "final_logit_softcapping": 30.0, "head_dim": 128, "hidden_act": "gelu_pytorch_tanh",
    "hidden_activation": "gelu_pytorch_tanh", "hidden_size": 4608, "initializer_range": 0.02,
    "intermediate_size": 36864, "max_position_embeddings": 8192, "model_type": "gemma2", "num_attention_heads": 32,
    "num_hidden_layers": 46, "num_key_value_heads": 16, "pad_token_id": 0, "query_pre_attn_scalar": 144,
    "rms_norm_eps": 1e-06, "rope_theta": 10000.0, "sliding_window": 4096, "sliding_window_size": 4096,
    "torch_dtype": "float32", "transformers_version": "4.42.0.dev0", "use_cache": true, "vocab_size": 256000})");
}

}  // namespace

TEST_CASE("from_hf_config reads a Qwen2 config.json") {
  const ModelConfig c = from_hf_config(qwen2_json());
  CHECK(c.family == Family::kQwen2);
  CHECK(c.vocab_size == 151936);
  CHECK(c.hidden_size == 896);
  CHECK(c.num_layers == 24);
  CHECK(c.num_heads == 14);
  CHECK(c.num_kv_heads == 2);
  CHECK(c.head_dim == 64);
  CHECK(c.intermediate_size == 4864);
  CHECK(c.rope_theta == 1e6);
  CHECK(c.tie_embeddings);
  CHECK(c.qkv_bias);
  CHECK_FALSE(c.o_bias);
  CHECK_FALSE(c.qk_norm);
  CHECK(c.dtype == DType::kBFloat16);
  CHECK(c.eos_token_id == 151643);
}

TEST_CASE("from_hf_config reads Llama 3.1 rope scaling and a list of eos ids") {
  const json j = json::parse(R"({
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 128256, "hidden_size": 2048,
    "intermediate_size": 8192, "num_hidden_layers": 16, "num_attention_heads": 32, "num_key_value_heads": 8,
    "head_dim": 64, "max_position_embeddings": 131072, "rope_theta": 500000.0, "rms_norm_eps": 1e-05,
    "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                     "original_max_position_embeddings": 8192, "rope_type": "llama3"},
    "tie_word_embeddings": true, "attention_bias": false, "mlp_bias": false, "torch_dtype": "bfloat16",
    "eos_token_id": [128001, 128008, 128009]})");
  const ModelConfig c = from_hf_config(j);
  CHECK(c.family == Family::kLlama);
  CHECK(c.rope_scaling.type == RopeScalingType::kLlama3);
  CHECK(c.rope_scaling.factor == 32.0);
  CHECK(c.rope_scaling.original_max_position == 8192);
  CHECK_FALSE(c.qkv_bias);
  CHECK(c.eos_token_id == 128001);
}

TEST_CASE("from_hf_config reads Qwen3 and Qwen3-MoE") {
  json q3 = qwen2_json();
  q3["architectures"] = {"Qwen3ForCausalLM"};
  q3["model_type"] = "qwen3";
  q3["head_dim"] = 128;
  const ModelConfig c3 = from_hf_config(q3);
  CHECK(c3.family == Family::kQwen3);
  CHECK(c3.qk_norm);
  CHECK_FALSE(c3.qkv_bias);
  CHECK(c3.head_dim == 128);
  CHECK(c3.num_experts == 0);

  json moe = q3;
  moe["architectures"] = {"Qwen3MoeForCausalLM"};
  moe["model_type"] = "qwen3_moe";
  moe["num_experts"] = 128;
  moe["num_experts_per_tok"] = 8;
  moe["moe_intermediate_size"] = 768;
  moe["norm_topk_prob"] = true;
  moe["mlp_only_layers"] = {3};
  const ModelConfig cm = from_hf_config(moe);
  CHECK(cm.num_experts == 128);
  CHECK(cm.experts_per_token == 8);
  CHECK(cm.moe_intermediate_size == 768);
  CHECK(cm.norm_topk_prob);
  CHECK(cm.is_moe_layer(0));
  CHECK_FALSE(cm.is_moe_layer(3));
}

TEST_CASE("from_hf_config reads transformers 5's config.json style") {
  // What transformers 5 save_pretrained writes: rope_theta inside rope_parameters, dtype, num_local_experts.
  json j = qwen2_json();
  j.erase("rope_theta");
  j.erase("torch_dtype");
  j["dtype"] = "bfloat16";
  j["rope_parameters"] = json::parse(R"({"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0,
    "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 64})");
  const ModelConfig c = from_hf_config(j);
  CHECK(c.rope_theta == 500000.0);
  CHECK(c.rope_scaling.type == RopeScalingType::kLlama3);
  CHECK(c.rope_scaling.original_max_position == 64);
  CHECK(c.dtype == DType::kBFloat16);

  j["rope_parameters"] = {{"rope_type", "default"}, {"rope_theta", 1e6}};
  CHECK(from_hf_config(j).rope_scaling.type == RopeScalingType::kNone);
  CHECK(from_hf_config(j).rope_theta == 1e6);
  j["rope_parameters"] = {{"rope_type", "yarn"}, {"factor", 4.0}};
  CHECK_THROWS_WITH(from_hf_config(j), Catch::Matchers::Contains("rope_parameters.rope_type"));

  json moe = qwen2_json();
  moe["architectures"] = {"Qwen3MoeForCausalLM"};
  moe["model_type"] = "qwen3_moe";
  moe["num_local_experts"] = 6;
  moe["num_experts_per_tok"] = 2;
  moe["moe_intermediate_size"] = 32;
  CHECK(from_hf_config(moe).num_experts == 6);
}

TEST_CASE("from_hf_config reads Gemma-2-27B's config.json with transformers' defaults and sliding layers") {
  const ModelConfig c = from_hf_config(gemma2_json());
  CHECK(c.family == Family::kGemma2);
  CHECK(c.head_dim == 128);
  CHECK(c.num_kv_heads == 16);
  CHECK(c.query_pre_attn_scalar == 144);
  CHECK(c.attn_logit_softcapping == 50.0);
  CHECK(c.final_logit_softcapping == 30.0);
  CHECK(c.sliding_window == 4096);
  CHECK(c.tie_embeddings);  // Gemma2Config's default where the file says nothing
  CHECK_FALSE(c.qkv_bias);
  CHECK_FALSE(c.qk_norm);
  CHECK(c.bos_token_id == 2);
  CHECK(c.eos_token_id == 1);
  // Without layer_types, the even layers slide, as transformers derives them.
  REQUIRE(c.sliding_window_layers.size() == 23);
  for (int64_t layer = 0; layer < 46; ++layer) CHECK(c.is_sliding_layer(layer) == (layer % 2 == 0));

  json j = gemma2_json();
  j["layer_types"] = json::array();
  for (int64_t layer = 0; layer < 46; ++layer)
    j["layer_types"].push_back(layer < 40 ? "full_attention" : "sliding_attention");
  CHECK(from_hf_config(j).sliding_window_layers == std::vector<int64_t>{40, 41, 42, 43, 44, 45});

  // transformers 5's own defaults where keys are absent (a minimal config.json).
  j = json::parse(R"({"model_type": "gemma2", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48,
                      "num_hidden_layers": 2, "num_attention_heads": 2})");
  const ModelConfig d = from_hf_config(j);
  CHECK(d.head_dim == 256);
  CHECK(d.query_pre_attn_scalar == 256);
  CHECK(d.attn_logit_softcapping == 50.0);
  CHECK(d.final_logit_softcapping == 30.0);
  CHECK(d.sliding_window == 4096);
  CHECK(d.max_position == 8192);
  // null soft caps: none.
  j["attn_logit_softcapping"] = nullptr;
  j["final_logit_softcapping"] = nullptr;
  CHECK(from_hf_config(j).attn_logit_softcapping == 0);
  CHECK(from_hf_config(j).final_logit_softcapping == 0);
}

TEST_CASE("Gemma 2 options that spct does not implement are refused naming the key") {
  using Catch::Matchers::Contains;
  json j = gemma2_json();
  j["hidden_activation"] = "gelu";
  CHECK_THROWS_WITH(from_hf_config(j), Contains("hidden_activation") && Contains("gelu_pytorch_tanh"));
  j = gemma2_json();
  j["use_bidirectional_attention"] = true;
  CHECK_THROWS_WITH(from_hf_config(j), Contains("use_bidirectional_attention"));
  j = gemma2_json();
  j["num_hidden_layers"] = 2;
  j["layer_types"] = {"full_attention", "chunked_attention"};
  CHECK_THROWS_WITH(from_hf_config(j), Contains("layer_types[1]") && Contains("chunked_attention"));
  j["layer_types"] = {"full_attention"};
  CHECK_THROWS_WITH(from_hf_config(j), Contains("layer_types") && Contains("num_hidden_layers = 2"));
  j = gemma2_json();
  j["sliding_window"] = nullptr;
  CHECK_THROWS_WITH(from_hf_config(j), Contains("sliding_window") && Contains("null"));
  j = gemma2_json();
  j["attn_logit_softcapping"] = -1.0;
  CHECK_THROWS_WITH(from_hf_config(j), Contains("attn_logit_softcapping"));
  j = gemma2_json();
  j["query_pre_attn_scalar"] = 0;
  CHECK_THROWS_WITH(from_hf_config(j), Contains("query_pre_attn_scalar"));
  j = gemma2_json();
  j["architectures"] = {"Gemma3ForCausalLM"};
  j["model_type"] = "gemma3_text";
  CHECK_THROWS_WITH(from_hf_config(j), Contains("architectures") && Contains("Gemma3ForCausalLM") &&
                                           Contains("supported: ") && Contains("Gemma2ForCausalLM"));
  // Gemma's options on another family could not be saved in its config.json.
  ModelConfig llama = testing::tiny_config(Family::kLlama);
  llama.sliding_window = 8;
  llama.sliding_window_layers = {0};
  CHECK_THROWS_WITH(validate(llama), Contains("sliding_window") && Contains("gemma2"));
  llama = testing::tiny_config(Family::kLlama);
  llama.final_logit_softcapping = 30;
  CHECK_THROWS_AS(validate(llama), InputError);
}

TEST_CASE("to_hf_config round-trips every family") {
  for (const auto& [family, moe] :
       {std::pair{Family::kLlama, false}, std::pair{Family::kQwen2, false}, std::pair{Family::kQwen3, false},
        std::pair{Family::kQwen3, true}, std::pair{Family::kGemma2, false}}) {
    ModelConfig c = testing::tiny_config(family, moe);
    c.rope_scaling = {RopeScalingType::kLlama3, 8.0, 1.0, 4.0, 64};
    c.dtype = DType::kFloat16;
    c.eos_token_id = 5;
    const json j = to_hf_config(c);
    INFO(j.dump());
    CHECK(from_hf_config(j) == c);
  }
  CHECK(to_hf_config(testing::tiny_config(Family::kQwen3, true))["architectures"][0] == "Qwen3MoeForCausalLM");
  CHECK(to_hf_config(testing::tiny_config(Family::kLlama))["model_type"] == "llama");
  const json gemma = to_hf_config(from_hf_config(gemma2_json()));
  CHECK(gemma["architectures"][0] == "Gemma2ForCausalLM");
  CHECK(gemma["layer_types"][0] == "sliding_attention");
  CHECK(gemma["layer_types"][1] == "full_attention");
  CHECK(gemma["query_pre_attn_scalar"].is_number_integer());  // Gemma2Config declares an int
  CHECK(from_hf_config(gemma) == from_hf_config(gemma2_json()));
  ModelConfig uncapped = testing::tiny_config(Family::kGemma2);
  uncapped.attn_logit_softcapping = 0;
  uncapped.sliding_window = 0;
  uncapped.sliding_window_layers.clear();
  CHECK(to_hf_config(uncapped)["attn_logit_softcapping"].is_null());
  CHECK(from_hf_config(to_hf_config(uncapped)) == uncapped);
}

TEST_CASE("from_hf_config rejects bad configs naming the key") {
  using Catch::Matchers::Contains;
  json j = qwen2_json();
  j["architectures"] = {"GPT2LMHeadModel"};
  j["model_type"] = "gpt2";
  CHECK_THROWS_WITH(from_hf_config(j), Contains("architectures") && Contains("GPT2LMHeadModel"));

  j = qwen2_json();
  j["hidden_size"] = "896";
  CHECK_THROWS_WITH(from_hf_config(j), Contains("hidden_size") && Contains("expected an integer"));

  j = qwen2_json();
  j["num_key_value_heads"] = 3;
  CHECK_THROWS_WITH(from_hf_config(j), Contains("num_key_value_heads") && Contains("does not divide"));

  j = qwen2_json();
  j.erase("vocab_size");
  CHECK_THROWS_WITH(from_hf_config(j), Contains("vocab_size") && Contains("missing"));

  j = qwen2_json();
  j["hidden_act"] = "gelu";
  CHECK_THROWS_WITH(from_hf_config(j), Contains("hidden_act"));

  j = qwen2_json();
  j["rope_scaling"] = {{"rope_type", "yarn"}, {"factor", 4.0}};
  CHECK_THROWS_WITH(from_hf_config(j), Contains("rope_scaling") && Contains("yarn"));

  j = qwen2_json();
  j["architectures"] = {"Qwen3MoeForCausalLM"};
  j["model_type"] = "qwen3_moe";
  j["num_experts"] = 4;
  j["num_experts_per_tok"] = 5;
  j["moe_intermediate_size"] = 8;
  CHECK_THROWS_WITH(from_hf_config(j), Contains("num_experts_per_tok"));

  CHECK_THROWS_AS(from_hf_config(json::array()), InputError);
}

TEST_CASE("from_section builds a model shape from the experiment config") {
  spct::config::ModelSection s;
  s.family = spct::config::ModelFamily::kQwen3;
  s.hidden_size = 64;
  s.num_heads = 4;
  s.num_kv_heads = 2;
  s.dtype = spct::config::ModelDType::kBFloat16;
  const ModelConfig c = from_section(s, 50);
  CHECK(c.family == Family::kQwen3);
  CHECK(c.vocab_size == 50);
  CHECK(c.head_dim == 16);
  CHECK(c.qk_norm);
  CHECK(c.dtype == DType::kBFloat16);

  s.num_kv_heads = 3;
  CHECK_THROWS_WITH(from_section(s, 50), Catch::Matchers::Contains("num_key_value_heads"));
  s.num_kv_heads = 2;
  s.num_heads = 5;
  CHECK_THROWS_WITH(from_section(s, 50), Catch::Matchers::Contains("model.num_heads"));
}
