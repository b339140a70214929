// Compiled with OpenMP (at::parallel_for's regions, `omp simd`) and without floating-point contraction
// (models/CMakeLists.txt). The element-wise loops are scalar code that `omp simd` vectorises at whatever width the
// target has (AVX-512, AVX2 or SSE2 clones): element by element the arithmetic is the same at any width, so the
// vector body and its remainder round alike. The norm's sum is the one reduction and runs on the fixed 16 lanes of
// models/vector_math_cpu.h.
#include "models/layer_kernels_cpu.h"

#include <ATen/Parallel.h>
#include <ATen/ops/empty.h>
#include <c10/core/InferenceMode.h>
#include <c10/util/BFloat16.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <type_traits>

#include "models/vector_math_cpu.h"

namespace spct::models {
namespace {

// x as an operation on T tensors hands it to the next one: rounded to bfloat16 for bfloat16, as it is for float.
template <typename T>
[[gnu::always_inline]] inline float round_as(float x) {
  if constexpr (std::is_same_v<T, float>) {
    return x;
  } else {
    return widen_bfloat16(round_to_bfloat16(x));
  }
}

// x stored as T (rounded to bfloat16's bits for bfloat16).
template <typename T>
[[gnu::always_inline]] inline T store_as(float x) {
  if constexpr (std::is_same_v<T, float>) {
    return x;
  } else {
    return round_to_bfloat16(x);
  }
}

using cpu::exp_nonpositive;
using cpu::Floats;
using cpu::kLanes;
using cpu::kVectors;
using cpu::kWidth;
using cpu::load;
using cpu::load_partial;
using cpu::widen;

// Work below this many elements per task is not worth waking another thread for: a row of a decode step is a
// few hundred to a few thousand elements, a microsecond or two.
constexpr int64_t kMinElementsPerTask = 16384;

int64_t grain_rows(int64_t row_length) {
  return std::max<int64_t>(1, kMinElementsPerTask / std::max<int64_t>(1, row_length));
}

bool float_or_bfloat16(const at::Tensor& t) {
  return t.scalar_type() == at::kFloat || t.scalar_type() == at::kBFloat16;
}

// Whether all of `tensors` are defined CPU tensors of one dtype, float32 or bfloat16, in generation.
bool generation_on_cpu(std::initializer_list<const at::Tensor*> tensors) {
  const at::Tensor& first = **tensors.begin();
  if (!c10::InferenceMode::is_enabled() || !first.defined()) return false;
  const at::ScalarType dtype = first.scalar_type();
  return std::all_of(tensors.begin(), tensors.end(), [dtype](const at::Tensor* t) {
    return t->defined() && t->is_cpu() && t->scalar_type() == dtype && float_or_bfloat16(*t);
  });
}

// The stride between consecutive rows of t seen as [numel / size(-1), size(-1)] when one stride serves all of
// them (its leading dimensions collapse into one) and the last dimension is contiguous; -1 otherwise.
int64_t uniform_row_stride(const at::Tensor& t) {
  if (t.dim() == 0 || (t.size(-1) > 1 && t.stride(-1) != 1)) return -1;
  int64_t row_stride = t.size(-1);  // a single row: any stride serves
  int64_t inner = -1;               // the innermost leading dimension with more than one entry so far
  for (int64_t d = t.dim() - 2; d >= 0; --d) {
    if (t.size(d) == 1) continue;
    if (inner < 0) {
      row_stride = t.stride(d);
    } else if (t.stride(d) != t.stride(inner) * t.size(inner)) {
      return -1;
    }
    inner = d;
  }
  return row_stride;
}

// The tensor's memory as T: bfloat16 as its bits (core/bfloat16_bits.h says why).
template <typename T>
const T* data_as(const at::Tensor& t) {
  if constexpr (std::is_same_v<T, float>) {
    return t.const_data_ptr<float>();
  } else {
    return reinterpret_cast<const uint16_t*>(t.const_data_ptr<c10::BFloat16>());
  }
}

template <typename T>
T* mutable_data_as(at::Tensor& t) {
  if constexpr (std::is_same_v<T, float>) {
    return t.mutable_data_ptr<float>();
  } else {
    return reinterpret_cast<uint16_t*>(t.mutable_data_ptr<c10::BFloat16>());
  }
}

// ---- RMSNorm

template <typename T>
[[gnu::always_inline]] inline void rms_norm_row(const T* x, const T* weight, T* y, int64_t n, float eps) {
  // Sum of squares over 16 lanes in a fixed order, the tail padded with zeros (which add nothing).
  Floats sum[kVectors] = {};
  for (int64_t j = 0; j < n; j += kLanes) {
#pragma GCC unroll 2
    for (int k = 0; k < kVectors; ++k) {
      const int64_t at = j + int64_t{kWidth} * k;
      const int64_t count = std::min<int64_t>(kWidth, n - at);
      const Floats v = count == kWidth ? load(x + at) : count > 0 ? load_partial(x + at, count) : Floats{};
      sum[k] += v * v;
    }
  }
  float lanes[kLanes];
  for (int l = 0; l < kLanes; ++l) lanes[l] = sum[l / kWidth][l % kWidth];
  for (int width = kLanes / 2; width > 0; width /= 2) {
    for (int l = 0; l < width; ++l) lanes[l] += lanes[l + width];
  }
  // ATen's order from here on: mean, + eps, rsqrt, times x, rounded to the dtype, times the weight.
  const float scale = 1.0F / std::sqrt(lanes[0] / static_cast<float>(n) + eps);
#pragma omp simd
  for (int64_t j = 0; j < n; ++j) y[j] = store_as<T>(round_as<T>(widen(x[j]) * scale) * widen(weight[j]));
}

__attribute__((target_clones("arch=x86-64-v4", "avx2", "default"))) void rms_norm_rows_float(const float* x,
                                                                                             const float* weight,
                                                                                             float* y, int64_t rows,
                                                                                             int64_t n, float eps) {
  for (int64_t i = 0; i < rows; ++i) rms_norm_row(x + i * n, weight, y + i * n, n, eps);
}

__attribute__((target_clones("arch=x86-64-v4", "avx2", "default"))) void rms_norm_rows_bfloat16(
    const uint16_t* x, const uint16_t* weight, uint16_t* y, int64_t rows, int64_t n, float eps) {
  for (int64_t i = 0; i < rows; ++i) rms_norm_row(x + i * n, weight, y + i * n, n, eps);
}

template <typename T>
void rms_norm_all(const at::Tensor& x, const at::Tensor& weight, at::Tensor& y, float eps) {
  const int64_t n = x.size(-1);
  const int64_t rows = n == 0 ? 0 : x.numel() / n;
  const T* in = data_as<T>(x);
  const T* w = data_as<T>(weight);
  T* out = mutable_data_as<T>(y);
  at::parallel_for(0, rows, grain_rows(n), [&](int64_t begin, int64_t end) {
    if constexpr (std::is_same_v<T, float>) {
      rms_norm_rows_float(in + begin * n, w, out + begin * n, end - begin, n, eps);
    } else {
      rms_norm_rows_bfloat16(in + begin * n, w, out + begin * n, end - begin, n, eps);
    }
  });
}

// ---- Rotary embeddings

// One [D] row: y[:h] = x[:h] * cos[:h] - x[h:] * sin[:h], y[h:] = x[h:] * cos[h:] + x[:h] * sin[h:], each product
// and the sum rounded to T as ATen's x * cos + cat(-x[h:], x[:h]) * sin rounds them.
template <typename T>
[[gnu::always_inline]] inline void rope_row(const T* x, const T* cos, const T* sin, T* y, int64_t half) {
#pragma omp simd
  for (int64_t j = 0; j < half; ++j) {
    const float first = widen(x[j]);
    const float second = widen(x[half + j]);
    y[j] = store_as<T>(round_as<T>(first * widen(cos[j])) + round_as<T>(-second * widen(sin[j])));
    y[half + j] = store_as<T>(round_as<T>(second * widen(cos[half + j])) + round_as<T>(first * widen(sin[half + j])));
  }
}

// The row of x, cos and sin for each row index r of the output [B, H, T, D] (r = (b * H + h) * T + t).
struct RopeLayout {
  int64_t heads, steps;             // H, T
  int64_t x_batch, x_head, x_step;  // x's strides
  int64_t cos_batch, cos_step;      // the tables' strides (their head dimension has one entry), each its own:
  int64_t sin_batch, sin_step;      // the two may differ in layout
};

template <typename T>
[[gnu::always_inline]] inline void rope_rows(const T* x, const T* cos, const T* sin, T* y, int64_t begin, int64_t end,
                                             int64_t d, const RopeLayout& l) {
  for (int64_t r = begin; r < end; ++r) {
    const int64_t t = r % l.steps;
    const int64_t h = (r / l.steps) % l.heads;
    const int64_t b = r / (l.steps * l.heads);
    rope_row(x + b * l.x_batch + h * l.x_head + t * l.x_step, cos + b * l.cos_batch + t * l.cos_step,
             sin + b * l.sin_batch + t * l.sin_step, y + r * d, d / 2);
  }
}

__attribute__((target_clones("arch=x86-64-v4", "avx2", "default"))) void rope_rows_float(
    const float* x, const float* cos, const float* sin, float* y, int64_t begin, int64_t end, int64_t d,
    const RopeLayout& l) {
  rope_rows(x, cos, sin, y, begin, end, d, l);
}

__attribute__((target_clones("arch=x86-64-v4", "avx2", "default"))) void rope_rows_bfloat16(
    const uint16_t* x, const uint16_t* cos, const uint16_t* sin, uint16_t* y, int64_t begin, int64_t end, int64_t d,
    const RopeLayout& l) {
  rope_rows(x, cos, sin, y, begin, end, d, l);
}

template <typename T>
void rope_all(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin, at::Tensor& y) {
  const int64_t d = x.size(3);
  const RopeLayout layout{.heads = x.size(1),
                          .steps = x.size(2),
                          .x_batch = x.stride(0),
                          .x_head = x.stride(1),
                          .x_step = x.stride(2),
                          .cos_batch = cos.stride(0),
                          .cos_step = cos.stride(2),
                          .sin_batch = sin.stride(0),
                          .sin_step = sin.stride(2)};
  const T* in = data_as<T>(x);
  const T* c = data_as<T>(cos);
  const T* s = data_as<T>(sin);
  T* out = mutable_data_as<T>(y);
  at::parallel_for(0, x.numel() / std::max<int64_t>(1, d), grain_rows(d), [&](int64_t begin, int64_t end) {
    if constexpr (std::is_same_v<T, float>) {
      rope_rows_float(in, c, s, out, begin, end, d, layout);
    } else {
      rope_rows_bfloat16(in, c, s, out, begin, end, d, layout);
    }
  });
}

// ---- silu(gate) * up

// silu(x) = x / (1 + e^-x), written with e^-|x| only (never overflows): x / (1 + t) for x >= 0, and
// x t / (1 + t) for x < 0, t = e^-|x|.
[[gnu::always_inline]] inline float silu(float x) {
  const float t = exp_nonpositive(x > 0 ? -x : x);
  return (x >= 0 ? x : x * t) / (1.0F + t);
}

template <typename T>
[[gnu::always_inline]] inline void silu_mul_row(const T* gate, const T* up, T* y, int64_t n) {
#pragma omp simd
  for (int64_t j = 0; j < n; ++j) y[j] = store_as<T>(round_as<T>(silu(widen(gate[j]))) * widen(up[j]));
}

__attribute__((target_clones("arch=x86-64-v4", "avx2", "default"))) void silu_mul_rows_float(
    const float* gate, const float* up, float* y, int64_t rows, int64_t n, int64_t gate_stride, int64_t up_stride) {
  for (int64_t i = 0; i < rows; ++i) silu_mul_row(gate + i * gate_stride, up + i * up_stride, y + i * n, n);
}

__attribute__((target_clones("arch=x86-64-v4", "avx2", "default"))) void silu_mul_rows_bfloat16(
    const uint16_t* gate, const uint16_t* up, uint16_t* y, int64_t rows, int64_t n, int64_t gate_stride,
    int64_t up_stride) {
  for (int64_t i = 0; i < rows; ++i) silu_mul_row(gate + i * gate_stride, up + i * up_stride, y + i * n, n);
}

template <typename T>
void silu_mul_all(const at::Tensor& gate, const at::Tensor& up, at::Tensor& y) {
  const int64_t n = gate.size(-1);
  const int64_t rows = n == 0 ? 0 : gate.numel() / n;
  const int64_t gate_stride = uniform_row_stride(gate);
  const int64_t up_stride = uniform_row_stride(up);
  const T* g = data_as<T>(gate);
  const T* u = data_as<T>(up);
  T* out = mutable_data_as<T>(y);
  at::parallel_for(0, rows, grain_rows(n), [&](int64_t begin, int64_t end) {
    const int64_t rows_here = end - begin;
    if constexpr (std::is_same_v<T, float>) {
      silu_mul_rows_float(g + begin * gate_stride, u + begin * up_stride, out + begin * n, rows_here, n, gate_stride,
                          up_stride);
    } else {
      silu_mul_rows_bfloat16(g + begin * gate_stride, u + begin * up_stride, out + begin * n, rows_here, n, gate_stride,
                             up_stride);
    }
  });
}

}  // namespace

bool rms_norm_cpu_applies(const at::Tensor& x, const at::Tensor& weight) {
  return generation_on_cpu({&x, &weight}) && x.dim() >= 1 && x.is_contiguous() && weight.dim() == 1 &&
         weight.size(0) == x.size(-1) && weight.is_contiguous();
}

at::Tensor rms_norm_cpu(const at::Tensor& x, const at::Tensor& weight, double eps) {
  at::Tensor y = at::empty(x.sizes(), x.options());
  if (x.scalar_type() == at::kFloat) {
    rms_norm_all<float>(x, weight, y, static_cast<float>(eps));
  } else {
    rms_norm_all<uint16_t>(x, weight, y, static_cast<float>(eps));
  }
  return y;
}

bool apply_rope_cpu_applies(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
  if (!generation_on_cpu({&x, &cos, &sin}) || x.dim() != 4 || cos.dim() != 4 || sin.dim() != 4) return false;
  const auto table_fits = [&x](const at::Tensor& table) {
    return table.size(0) == x.size(0) && table.size(1) == 1 && table.size(2) == x.size(2) &&
           table.size(3) == x.size(3) && table.stride(3) == 1;
  };
  return x.size(3) % 2 == 0 && x.stride(3) == 1 && table_fits(cos) && table_fits(sin);
}

at::Tensor apply_rope_cpu(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
  at::Tensor y = at::empty(x.sizes(), x.options());
  if (x.scalar_type() == at::kFloat) {
    rope_all<float>(x, cos, sin, y);
  } else {
    rope_all<uint16_t>(x, cos, sin, y);
  }
  return y;
}

bool silu_mul_cpu_applies(const at::Tensor& gate, const at::Tensor& up) {
  return generation_on_cpu({&gate, &up}) && gate.dim() >= 1 && gate.sizes() == up.sizes() &&
         uniform_row_stride(gate) >= 0 && uniform_row_stride(up) >= 0;
}

at::Tensor silu_mul_cpu(const at::Tensor& gate, const at::Tensor& up) {
  at::Tensor y = at::empty(gate.sizes(), gate.options());
  if (gate.scalar_type() == at::kFloat) {
    silu_mul_all<float>(gate, up, y);
  } else {
    silu_mul_all<uint16_t>(gate, up, y);
  }
  return y;
}

}  // namespace spct::models
