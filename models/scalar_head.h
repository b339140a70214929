// A transformer with a scalar score head instead of the language-model head: the Hugging Face
// *ForSequenceClassification layout with num_labels = 1 ("model.*" plus "score.weight" [1, hidden], no bias,
// no lm_head). The score of a sequence is score(h_last) where h_last is the final-normed hidden state of its
// LAST non-padding token (any padding side works). Used by the meta reward model and Bradley-Terry reward
// models.
//
// Thread safety: as Transformer.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "models/transformer.h"

namespace spct::models {

class ScalarHeadModel {
 public:
  // Backbone initialised from `seed` as Transformer does; score.weight ~ N(0, 0.02^2) from seed + 1.
  ScalarHeadModel(const ModelConfig& config, uint64_t seed, at::Device device = at::kCPU);

  ScalarHeadModel(const ScalarHeadModel&) = delete;
  ScalarHeadModel& operator=(const ScalarHeadModel&) = delete;

  Transformer& backbone() { return backbone_; }
  const Transformer& backbone() const { return backbone_; }

  // Backbone parameters (no lm_head) followed by "score.weight"; tensors alias the model's storage.
  std::vector<NamedTensor> named_parameters() const;

  // Parameters and adapters with requires_grad set.
  std::vector<NamedTensor> trainable_parameters() const;

  void set_requires_grad(bool requires_grad);

  // Scores [B] float32 of a [B, T] batch (arguments as Transformer::hidden_states). Throws spct::InputError
  // when a row has no real token.
  at::Tensor score(const at::Tensor& input_ids, const at::Tensor& position_ids, const at::Tensor& attention_mask) const;

 private:
  Transformer backbone_;
  at::Tensor score_;  // [1, hidden]
};

}  // namespace spct::models
