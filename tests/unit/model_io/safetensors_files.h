// Helpers for the model I/O tests: hand-made safetensors bytes and files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <vector>

namespace spct::testing {

// The bytes of a safetensors file with the given JSON header text (unpadded, taken as is) and data section.
inline std::vector<std::byte> safetensors_bytes(const std::string& header, const std::vector<uint8_t>& data) {
  std::vector<std::byte> bytes;
  const uint64_t length = header.size();
  for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<std::byte>((length >> (8 * i)) & 0xff));
  for (const char c : header) bytes.push_back(static_cast<std::byte>(c));
  for (const uint8_t b : data) bytes.push_back(static_cast<std::byte>(b));
  return bytes;
}

inline void write_bytes(const std::filesystem::path& path, std::span<const std::byte> bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

inline std::vector<std::byte> read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto* begin = reinterpret_cast<const std::byte*>(text.data());
  return std::vector<std::byte>(begin, begin + text.size());
}

}  // namespace spct::testing
