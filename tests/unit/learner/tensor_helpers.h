// Small helpers for the learner tests: float64 tensors from literals, and element-wise comparisons that
// print both tensors when they differ.
#pragma once

#include <ATen/core/Tensor.h>

#include <vector>

namespace spct::learner::testing {

// Single-threaded ATen for every test: other engineers share the machine's two cores.
void use_one_thread();

// A float64 tensor of `shape` holding `values` in row-major order.
at::Tensor doubles(const std::vector<double>& values, const std::vector<int64_t>& shape);

// A bool tensor of `shape` from 0/1 values.
at::Tensor bools(const std::vector<int>& values, const std::vector<int64_t>& shape);

// A float64 leaf tensor that requires grad.
at::Tensor leaf(const std::vector<double>& values, const std::vector<int64_t>& shape);

// CHECKs that `actual` (any shape) equals `expected` element-wise within `tolerance`.
void check_values(const at::Tensor& actual, const std::vector<double>& expected, double tolerance = 1e-9);

}  // namespace spct::learner::testing
