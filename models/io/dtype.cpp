#include "models/io/dtype.h"

#include <array>

namespace spct::model_io {
namespace {

struct DTypeEntry {
  DType dtype;
  std::string_view name;
  std::size_t size;
};

// In the enum's order, so that a DType indexes its own entry.
constexpr std::array<DTypeEntry, 10> kDTypes = {{
    {DType::kF64, "F64", 8},
    {DType::kF32, "F32", 4},
    {DType::kF16, "F16", 2},
    {DType::kBF16, "BF16", 2},
    {DType::kI64, "I64", 8},
    {DType::kI32, "I32", 4},
    {DType::kI16, "I16", 2},
    {DType::kI8, "I8", 1},
    {DType::kU8, "U8", 1},
    {DType::kBool, "BOOL", 1},
}};

const DTypeEntry& entry(DType dtype) {
  return kDTypes[static_cast<std::size_t>(dtype)];
}

}  // namespace

std::optional<DType> dtype_from_name(std::string_view name) {
  for (const DTypeEntry& candidate : kDTypes) {
    if (candidate.name == name) return candidate.dtype;
  }
  return std::nullopt;
}

std::string_view dtype_name(DType dtype) {
  return entry(dtype).name;
}

std::size_t dtype_size(DType dtype) {
  return entry(dtype).size;
}

}  // namespace spct::model_io
