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

TEST_CASE("to_hf_config round-trips every family") {
  for (const auto& [family, moe] : {std::pair{Family::kLlama, false}, std::pair{Family::kQwen2, false},
                                    std::pair{Family::kQwen3, false}, std::pair{Family::kQwen3, true}}) {
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
  s.family = "qwen3";
  s.hidden_size = 64;
  s.num_heads = 4;
  s.num_kv_heads = 2;
  s.dtype = "bfloat16";
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
