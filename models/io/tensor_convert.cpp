#include "models/io/tensor_convert.h"

#include <ATen/core/grad_mode.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/from_blob.h>

#include <bit>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace spct::model_io {

// safetensors stores little-endian elements; handing them to ATen as they are is only right on a little-endian
// machine (every machine spct targets).
static_assert(std::endian::native == std::endian::little, "safetensors I/O assumes a little-endian host");

at::ScalarType to_scalar_type(DType dtype) {
  switch (dtype) {
    case DType::kF64: return at::kDouble;
    case DType::kF32: return at::kFloat;
    case DType::kF16: return at::kHalf;
    case DType::kBF16: return at::kBFloat16;
    case DType::kI64: return at::kLong;
    case DType::kI32: return at::kInt;
    case DType::kI16: return at::kShort;
    case DType::kI8: return at::kChar;
    case DType::kU8: return at::kByte;
    case DType::kBool: return at::kBool;
  }
  throw std::logic_error("to_scalar_type: unknown DType " + std::to_string(static_cast<int>(dtype)));
}

std::optional<DType> to_dtype(at::ScalarType type) {
  switch (type) {
    case at::kDouble: return DType::kF64;
    case at::kFloat: return DType::kF32;
    case at::kHalf: return DType::kF16;
    case at::kBFloat16: return DType::kBF16;
    case at::kLong: return DType::kI64;
    case at::kInt: return DType::kI32;
    case at::kShort: return DType::kI16;
    case at::kChar: return DType::kI8;
    case at::kByte: return DType::kU8;
    case at::kBool: return DType::kBool;
    default: return std::nullopt;
  }
}

at::Tensor to_tensor(const TensorView& view) {
  const std::vector<int64_t> shape(view.shape.begin(), view.shape.end());
  at::Tensor tensor = at::empty(shape, at::TensorOptions().dtype(to_scalar_type(view.dtype)));
  if (!view.bytes.empty()) std::memcpy(tensor.data_ptr(), view.bytes.data(), view.bytes.size());
  return tensor;
}

void copy_into(const TensorView& view, const at::Tensor& target) {
  const at::NoGradGuard no_grad;
  const std::vector<int64_t> shape(view.shape.begin(), view.shape.end());
  const std::size_t element_size = dtype_size(view.dtype);
  // The writer aligns every tensor to its element size, but the format does not require it, and ATen's
  // vectorised kernels may assume natural alignment: a misaligned view goes through an aligned copy first.
  if (reinterpret_cast<std::uintptr_t>(view.bytes.data()) % element_size != 0) {
    target.copy_(to_tensor(view));
    return;
  }
  // A borrowed, read-only use of the mapped bytes: copy_ only reads its source.
  const at::Tensor source = at::from_blob(const_cast<std::byte*>(view.bytes.data()), shape,
                                          at::TensorOptions().dtype(to_scalar_type(view.dtype)));
  target.copy_(source);
}

at::Tensor contiguous_cpu(const at::Tensor& tensor, DType dtype) {
  const at::NoGradGuard no_grad;
  return tensor.detach().to(at::kCPU, to_scalar_type(dtype)).contiguous();
}

std::span<const std::byte> bytes_of(const at::Tensor& tensor) {
  if (!tensor.is_contiguous() || !tensor.device().is_cpu()) {
    throw std::invalid_argument("bytes_of: the tensor must be contiguous and on the CPU");
  }
  return {static_cast<const std::byte*>(tensor.data_ptr()), tensor.nbytes()};
}

}  // namespace spct::model_io
