// Small model shapes shared by the models tests: every family, a MoE variant, and helpers.
#pragma once

#include <ATen/Parallel.h>

#include "models/model_config.h"

namespace spct::models::testing {

inline ModelConfig tiny_config(Family family, bool moe = false) {
  ModelConfig c;
  c.family = family;
  c.vocab_size = 97;
  c.hidden_size = 32;
  c.num_layers = 2;
  c.num_heads = 4;
  c.num_kv_heads = 2;
  c.head_dim = 8;
  c.intermediate_size = 48;
  c.max_position = 256;
  c.rope_theta = 10000.0;
  c.tie_embeddings = family != Family::kLlama;
  c.qkv_bias = family == Family::kQwen2;
  c.qk_norm = family == Family::kQwen3;
  if (family == Family::kGemma2) {
    // Layer 0 slides over 4 tokens (shorter than most test sequences), layer 1 sees everything; caps low enough
    // to act on a tiny model's scores and logits.
    c.sliding_window = 4;
    c.sliding_window_layers = {0};
    c.query_pre_attn_scalar = 12;
    c.attn_logit_softcapping = 2.0;
    c.final_logit_softcapping = 5.0;
  }
  if (moe) {
    c.num_experts = 4;
    c.experts_per_token = 2;
    c.moe_intermediate_size = 16;
  }
  return c;
}

// Tests use one thread: the machine is shared.
struct OneThread {
  OneThread() { at::set_num_threads(1); }
};

}  // namespace spct::models::testing
