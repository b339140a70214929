// SHA-256 digests (OpenSSL), as lowercase hex. Used for config hashes and checkpoint manifests.
#pragma once

#include <cstddef>
#include <string>

namespace spct {

std::string sha256_hex(const void* data, std::size_t size);
inline std::string sha256_hex(const std::string& text) {
  return sha256_hex(text.data(), text.size());
}

// Digest of a file's contents, read in chunks. Throws spct::InputError when it cannot be read.
std::string sha256_file_hex(const std::string& path);

}  // namespace spct
