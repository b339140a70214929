// The element types a safetensors file can hold, by their on-disk names ("F32", "BF16", ...). Tensor-free, so
// the header parser that uses it can be fuzzed without LibTorch; models/io/tensor_convert.h maps them to
// at::ScalarType.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace spct::model_io {

enum class DType { kF64, kF32, kF16, kBF16, kI64, kI32, kI16, kI8, kU8, kBool };

// The DType spelled `name` in a safetensors header, or nullopt for a name this reader does not support
// (F8_E4M3, U16, ...). Case-sensitive, as the format is.
std::optional<DType> dtype_from_name(std::string_view name);

// The header spelling of `dtype`: dtype_from_name(dtype_name(d)) == d.
std::string_view dtype_name(DType dtype);

// Bytes per element (BOOL is one byte).
std::size_t dtype_size(DType dtype);

}  // namespace spct::model_io
