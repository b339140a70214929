// The smallest weight oneDNN's kernels are worth calling for, in a header without tensors: the CPU products
// (models/onednn_linear.h, models/packed_weight.h) and spct train --dry-run's count of the packed copies
// (orchestrator/train/memory_estimate.cpp) must agree on it.
#pragma once

#include <cstdint>

namespace spct::models {

// Elements below which a weight sits in the caches, where the plain kernels keep up with oneDNN's: such weights
// stay off oneDNN (onednn_linear_applies) and are not packed (models/packed_weight.h).
inline constexpr int64_t kOnednnMinWeightElements = int64_t{256} * 256;

}  // namespace spct::models
