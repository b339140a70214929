#include "models/linear.h"

#include <ATen/TensorOperators.h>
#include <ATen/ops/linear.h>

namespace spct::models {

at::Tensor Linear::forward(const at::Tensor& x) const {
  at::Tensor y = at::linear(x, weight, bias);
  if (lora_a.defined()) {
    // The rank-r bottleneck is applied as two thin products; never materialise B A (out x in).
    y = y + at::linear(at::linear(x, lora_a), lora_b) * lora_scale;
  }
  return y;
}

}  // namespace spct::models
