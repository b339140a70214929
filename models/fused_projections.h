// Several projections of one input computed as one product during generation: attention's q, k and v, and the
// gated MLP's gate and up.
//
// Why: a decode step multiplies a few rows by each weight, and a narrow product (Qwen2.5-0.5B's k and v: 128
// outputs) leaves oneDNN's kernels idle for much of its call. Stacking the weights of one input into one packed
// copy (models/packed_weight.h) makes one wide product instead (Qwen2.5-0.5B's 24 layers at batch 64 in bfloat16:
// docs/rollout.md). The model keeps its separate parameters, which training, LoRA, checkpoints and weight syncs
// use as they are; only generation's packed copy is stacked.
//
// Thread safety: forward() may run concurrently (the packed copy is made under its own mutex).
#pragma once

#include <ATen/core/Tensor.h>

#include <initializer_list>
#include <memory>
#include <vector>

#include "models/linear.h"
#include "models/packed_weight.h"

namespace spct::models {

class FusedProjections {
 public:
  // x [..., in_features] times each projection, in the order given: [..., out_features] each. One product on the
  // stacked packed copy when PackedWeight::applies to x and every weight and none has a LoRA adapter (the parts
  // are then views of that product's columns); otherwise each Linear's own forward.
  // REQUIRES: every projection takes in_features inputs; the same projections, in the same order, every call.
  std::vector<at::Tensor> forward(const at::Tensor& x, std::initializer_list<const Linear*> projections) const;

 private:
  // Shared by copies, as Linear::packed is.
  std::shared_ptr<PackedWeight> packed_ = std::make_shared<PackedWeight>();
};

}  // namespace spct::models
