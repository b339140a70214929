// A linear projection y = x W^T + b with an optional LoRA adapter y += scale * (x A^T) B^T.
//
// The building block every projection of the transformer uses, so that a LoRA adapter (models/lora.h) can be
// attached to any of them by name without the transformer knowing about adapters.
//
// Thread safety: forward() is const and may run concurrently; attaching or merging adapters may not overlap
// with forward passes.
#pragma once

#include <ATen/core/Tensor.h>

#include <memory>

#include "models/packed_weight.h"

namespace spct::models {

struct Linear {
  at::Tensor weight;  // [out_features, in_features]
  at::Tensor bias;    // [out_features], or undefined for no bias
  // LoRA adapter (undefined when none is attached): lora_a [rank, in_features], lora_b [out_features, rank].
  at::Tensor lora_a;
  at::Tensor lora_b;
  double lora_scale = 0.0;  // alpha / rank
  // PEFT's lora_dropout: dropout on the adapter's input, applied only while gradients are recorded (a training
  // pass); scoring and sampling passes (no grad) see the adapter deterministically, as PEFT's eval mode does.
  double lora_dropout = 0.0;
  // The weight packed for generation's products (models/packed_weight.h), made on first use and remade when the
  // weight changes; copies of this Linear share it.
  std::shared_ptr<PackedWeight> packed = std::make_shared<PackedWeight>();

  // x [..., in_features] -> [..., out_features]. On the CPU: generation's products read the packed weight
  // (models/packed_weight.h), other large float32 ones go to oneDNN (models/onednn_linear.h).
  at::Tensor forward(const at::Tensor& x) const;

  bool has_adapter() const { return lora_a.defined(); }
};

}  // namespace spct::models
