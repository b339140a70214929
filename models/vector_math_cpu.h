// Vector arithmetic shared by spct's CPU loops over float32 and bfloat16 rows (models/greedy_cpu.cpp,
// models/layer_kernels_cpu.cpp): 16-lane vectors of GCC's vector types, loads from either dtype, and exp for
// x <= 0. Internal to those loops; include it only in files compiled as they are (models/CMakeLists.txt: without
// floating-point contraction, so vector lanes and scalar remainders round alike).
//
// Why 16 lanes in GCC's vector types rather than a vectorised loop: a reduction over a fixed number of lanes
// adds and compares in the same order wherever a row sits in memory and whatever instructions the compiler
// targets (one AVX2 register or two SSE ones per vector), so a row's result has the same bits everywhere; and
// GCC's vectoriser unrolled 16-lane loops and then left them scalar.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "core/bfloat16_bits.h"

namespace spct::models::cpu {

using Floats = float __attribute__((vector_size(32)));
using Ints = int32_t __attribute__((vector_size(32)));
using Uints = uint32_t __attribute__((vector_size(32)));
using Ushorts = uint16_t __attribute__((vector_size(16)));
constexpr int kWidth = 8;    // floats per vector
constexpr int kVectors = 2;  // vectors per step of a reduction
constexpr int kLanes = kWidth * kVectors;

[[gnu::always_inline]] inline Floats load(const float* p) {
  Floats v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// bfloat16 read as its bits (the upper half of a float32).
[[gnu::always_inline]] inline Floats load(const uint16_t* p) {
  Ushorts bits;
  std::memcpy(&bits, p, sizeof bits);
  return reinterpret_cast<Floats>(__builtin_convertvector(bits, Uints) << 16);
}

[[gnu::always_inline]] inline float widen(float x) {
  return x;
}

[[gnu::always_inline]] inline float widen(uint16_t bfloat16_bits) {
  return widen_bfloat16(bfloat16_bits);
}

// Up to kWidth elements from p (count of them), the rest of the vector zero: a row's tail goes through the same
// vector arithmetic as its body, so it rounds alike.
template <typename T>
[[gnu::always_inline]] inline Floats load_partial(const T* p, int64_t count) {
  T padded[kWidth] = {};
  std::memcpy(padded, p, static_cast<size_t>(count) * sizeof(T));
  return load(padded);
}

// exp(x) for x <= 0 (or NaN): 2^n e^r with n = round(x / ln 2) and |r| <= ln 2 / 2, e^r by Cephes' degree-7
// polynomial (within 2 float32 roundings of exp). x below -87 is taken as -87 (e^-87 ~ 1.6e-38, the smallest
// power the exponent bits hold as a normal number), so -inf and far-off values give ~0 and never a denormal.
// One template for a vector and for a scalar, so a remainder rounds as the vector lanes do; always inlined (a
// call per vector cost more than the arithmetic).
template <typename F>
[[gnu::always_inline]] inline F exp_nonpositive(F x) {
  constexpr float kLog2e = 1.44269504088896341F;
  constexpr float kLn2High = 0.693359375F;  // ln 2 split in two, so that n * kLn2High is exact
  constexpr float kLn2Low = -2.12194440e-4F;
  constexpr float kRound = 12582912.0F;  // 1.5 * 2^23: adding and subtracting it rounds to the nearest integer
  x = x < -87.0F ? F{} - 87.0F : x;
  const F n = (x * kLog2e + kRound) - kRound;
  const F r = (x - n * kLn2High) - n * kLn2Low;
  F p = F{} + 1.9875691500e-4F;
  p = p * r + 1.3981999507e-3F;
  p = p * r + 8.3334519073e-3F;
  p = p * r + 4.1665795894e-2F;
  p = p * r + 1.6666665459e-1F;
  p = p * r + 5.0000001201e-1F;
  p = p * r * r + r + 1.0F;
  if constexpr (std::is_same_v<F, float>) {
    return p * std::bit_cast<float>(static_cast<uint32_t>(static_cast<int32_t>(n) + 127) << 23);
  } else {
    return p * reinterpret_cast<F>((__builtin_convertvector(n, Ints) + 127) << 23);
  }
}

}  // namespace spct::models::cpu
