// Counter-based pseudo-random numbers that are the same on every platform and compiler (unlike std::
// distributions), so a (seed, index) pair names one prompt forever and a shuffled epoch is reproducible.
#pragma once

#include <cstdint>
#include <string_view>

namespace spct::data {

// SplitMix64's finaliser: a bijective mix of all 64 bits.
inline uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A well-mixed key for several counters, e.g. (seed, split, index).
inline uint64_t mix_keys(uint64_t a, uint64_t b, uint64_t c = 0) {
  return mix64(mix64(mix64(a) ^ b) ^ c);
}

// FNV-1a over `text`, then mixed: a stable 64-bit hash of a string.
inline uint64_t hash_text(std::string_view text, uint64_t salt) {
  uint64_t h = 0xcbf29ce484222325ULL ^ salt;
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return mix64(h);
}

// A SplitMix64 generator. Not thread-safe; cheap to make one per item.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}

  uint64_t next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    return mix64(state_);
  }

  // Uniform in [0, n). The modulo bias is below n / 2^64: invisible at dataset sizes.
  // REQUIRES: n > 0.
  uint64_t below(uint64_t n) { return next() % n; }

  // Uniform in [lo, hi]. REQUIRES: lo <= hi.
  int64_t between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(below(static_cast<uint64_t>(hi - lo) + 1));
  }

 private:
  uint64_t state_;
};

}  // namespace spct::data
