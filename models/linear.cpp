#include "models/linear.h"

#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/dropout.h>
#include <ATen/ops/linear.h>

#include "models/onednn_linear.h"

namespace spct::models {

at::Tensor Linear::forward(const at::Tensor& x) const {
  at::Tensor y;
  if (PackedWeight::applies(x, weight)) {
    y = onednn_linear_packed(x, packed->get(weight), bias);
  } else if (onednn_linear_applies(x, weight)) {
    y = onednn_linear(x, weight, bias);
  } else {
    y = at::linear(x, weight, bias);
  }
  if (lora_a.defined()) {
    // The rank-r bottleneck is applied as two thin products; never materialise B A (out x in).
    const bool drop = lora_dropout > 0 && at::GradMode::is_enabled();
    const at::Tensor input = drop ? at::dropout(x, lora_dropout, /*train=*/true) : x;
    y = y + at::linear(at::linear(input, lora_a), lora_b) * lora_scale;
  }
  return y;
}

}  // namespace spct::models
