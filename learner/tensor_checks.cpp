#include "learner/tensor_checks.h"

#include "core/error.h"

namespace spct::learner {

std::string shape_string(const at::Tensor& t) {
  if (!t.defined()) return "undefined";
  std::string out = "[";
  for (int64_t d = 0; d < t.dim(); ++d) out += (d ? ", " : "") + std::to_string(t.size(d));
  return out + "]";
}

void require_shape(const char* function, const char* input, const at::Tensor& t, const std::vector<int64_t>& shape) {
  if (t.defined() && t.sizes().vec() == shape) return;
  std::string expected = "[";
  for (size_t d = 0; d < shape.size(); ++d) expected += (d ? ", " : "") + std::to_string(shape[d]);
  throw Error(ExitCode::kFailure,
              std::string(function) + ": " + input + " has shape " + shape_string(t) + ", expected " + expected + "]");
}

void require_dim(const char* function, const char* input, const at::Tensor& t, int64_t dims) {
  if (t.defined() && t.dim() == dims) return;
  throw Error(ExitCode::kFailure, std::string(function) + ": " + input + " has shape " + shape_string(t) +
                                      ", expected " + std::to_string(dims) + " dimensions");
}

void require_floating(const char* function, const char* input, const at::Tensor& t) {
  if (t.defined() && at::isFloatingType(t.scalar_type())) return;
  throw Error(ExitCode::kFailure, std::string(function) + ": " + input + " must be a floating-point tensor" +
                                      (t.defined() ? std::string(", got ") + c10::toString(t.scalar_type()) : ""));
}

at::Tensor bool_mask(const char* function, const char* input, const at::Tensor& mask) {
  if (mask.scalar_type() == at::kBool) return mask;
  at::Tensor as_bool = mask.ne(0);
  if (!mask.eq(1).logical_or(mask.eq(0)).all().item<bool>()) {
    throw Error(ExitCode::kFailure, std::string(function) + ": " + input + " must hold only 0 and 1");
  }
  return as_bool;
}

}  // namespace spct::learner
