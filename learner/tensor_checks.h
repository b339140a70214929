// Shape and type checks shared by the learner's tensor functions. Contract violations here are programming
// errors in the caller (a batch assembled wrongly), reported as spct::Error naming the function, the input and
// the shapes involved, instead of an ATen stack trace.
#pragma once

#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

namespace spct::learner {

// "[2, 3]".
std::string shape_string(const at::Tensor& t);

// Throws unless `t` is defined and has exactly `shape`.
void require_shape(const char* function, const char* input, const at::Tensor& t, const std::vector<int64_t>& shape);

// Throws unless `t` is defined and has `dims` dimensions.
void require_dim(const char* function, const char* input, const at::Tensor& t, int64_t dims);

// Throws unless `t` is defined and floating point.
void require_floating(const char* function, const char* input, const at::Tensor& t);

// `mask` as a bool tensor (accepts bool, or 0/1 of any numeric type; other values are an error).
at::Tensor bool_mask(const char* function, const char* input, const at::Tensor& mask);

}  // namespace spct::learner
