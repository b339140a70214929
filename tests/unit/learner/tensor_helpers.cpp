#include "tensor_helpers.h"

#include <ATen/Parallel.h>
#include <ATen/ops/tensor.h>

#include <catch2/catch.hpp>
#include <sstream>

namespace spct::learner::testing {

void use_one_thread() {
  at::set_num_threads(1);
}

at::Tensor doubles(const std::vector<double>& values, const std::vector<int64_t>& shape) {
  return at::tensor(values, at::dtype(at::kDouble)).reshape(shape);
}

at::Tensor bools(const std::vector<int>& values, const std::vector<int64_t>& shape) {
  std::vector<double> as_double(values.begin(), values.end());
  return doubles(as_double, shape).ne(0);
}

at::Tensor leaf(const std::vector<double>& values, const std::vector<int64_t>& shape) {
  return doubles(values, shape).requires_grad_(true);
}

void check_values(const at::Tensor& actual, const std::vector<double>& expected, double tolerance) {
  REQUIRE(actual.defined());
  const at::Tensor flat = actual.detach().to(at::kDouble).contiguous().reshape({-1});
  REQUIRE(flat.numel() == static_cast<int64_t>(expected.size()));
  for (size_t i = 0; i < expected.size(); ++i) {
    const double got = flat[static_cast<int64_t>(i)].item<double>();
    INFO("element " << i << ": got " << got << ", expected " << expected[i]);
    CHECK(got == Approx(expected[i]).epsilon(1e-12).margin(tolerance));
  }
}

}  // namespace spct::learner::testing
