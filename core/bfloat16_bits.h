// bfloat16 as its 16 bits (the upper half of a float32), for CPU loops that read and write bf16 tensors' memory
// directly (learner/adamw_cpu.cpp, models/greedy_cpu.cpp). Plain integers rather than c10::BFloat16: loaded as a
// class, each element is a struct copy, which keeps GCC from vectorising the loop. Tensor-free.
#pragma once

#include <bit>
#include <cstdint>

namespace spct {

// The float32 a bfloat16 holds, exactly.
inline float widen_bfloat16(uint16_t bits) {
  return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16);
}

// x rounded to the nearest bfloat16, ties to even, NaN to the quiet NaN: c10::BFloat16's conversion, written
// without a branch so that a loop over it vectorises.
inline uint16_t round_to_bfloat16(float x) {
  const uint32_t bits = std::bit_cast<uint32_t>(x);
  const uint32_t rounded = (bits + 0x7FFFU + ((bits >> 16) & 1U)) >> 16;
  return x != x ? uint16_t{0x7FC0} : static_cast<uint16_t>(rounded);
}

}  // namespace spct
