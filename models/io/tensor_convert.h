// The bridge between safetensors views (tensor-free, models/io/safetensors.h) and at::Tensor: dtype mapping,
// copying a view into a tensor with conversion, and a tensor's bytes for the writer.
//
// Thread safety: stateless functions; concurrent calls on distinct targets are safe.
#pragma once

#include <ATen/core/Tensor.h>

#include <optional>
#include <span>

#include "models/io/dtype.h"
#include "models/io/safetensors.h"

namespace spct::model_io {

// The at::ScalarType of a safetensors dtype (F32 -> at::kFloat, BF16 -> at::kBFloat16, BOOL -> at::kBool, ...).
at::ScalarType to_scalar_type(DType dtype);

// The safetensors dtype of a scalar type, or nullopt for types the format cannot hold (complex, quantized).
std::optional<DType> to_dtype(at::ScalarType type);

// A new CPU tensor holding a copy of the view's elements, in the view's dtype and shape.
at::Tensor to_tensor(const TensorView& view);

// Copies the view's elements into `target` (any device), converting the dtype when they differ; equal dtypes
// copy bit for bit. Records no autograd history. REQUIRES: target's shape equals view.shape (the caller checks,
// to name the file and tensor in its error).
void copy_into(const TensorView& view, const at::Tensor& target);

// `tensor` as a contiguous CPU tensor of `dtype`: the tensor itself when it already is one (no copy), else a
// converted copy. The result owns the bytes that bytes_of() returns; keep it alive while they are used.
at::Tensor contiguous_cpu(const at::Tensor& tensor, DType dtype);

// The raw bytes of a contiguous CPU tensor. REQUIRES: tensor.is_contiguous() and on the CPU.
std::span<const std::byte> bytes_of(const at::Tensor& tensor);

}  // namespace spct::model_io
