#include "models/fused_projections.h"

#include <algorithm>

#include "models/onednn_linear.h"

namespace spct::models {

std::vector<at::Tensor> FusedProjections::forward(const at::Tensor& x,
                                                  std::initializer_list<const Linear*> projections) const {
  std::vector<at::Tensor> parts;
  parts.reserve(projections.size());
  const bool stacked = std::all_of(projections.begin(), projections.end(), [&](const Linear* projection) {
    return !projection->has_adapter() && PackedWeight::applies(x, projection->weight);
  });
  if (!stacked) {
    for (const Linear* projection : projections) parts.push_back(projection->forward(x));
    return parts;
  }
  std::vector<at::Tensor> weights;
  std::vector<at::Tensor> biases;
  for (const Linear* projection : projections) {
    weights.push_back(projection->weight);
    biases.push_back(projection->bias);
  }
  const PackedWeight::Stacked copy = packed_->get(weights, biases);
  const at::Tensor y = onednn_linear_packed(x, copy.weight, copy.bias);
  int64_t column = 0;
  for (const at::Tensor& weight : weights) {
    parts.push_back(y.narrow(-1, column, weight.size(0)));
    column += weight.size(0);
  }
  return parts;
}

}  // namespace spct::models
