// CRC-32 (IEEE 802.3 polynomial 0xEDB88320, reflected, initial value and final XOR 0xFFFFFFFF): the checksum
// zlib's crc32() and PNG use, so values can be cross-checked with any tool. Table-driven, slicing by 8 bytes.
#pragma once

#include <cstdint>
#include <span>

namespace spct::protocol {

// The CRC-32 of `bytes`. crc32("123456789") == 0xCBF43926.
uint32_t crc32(std::span<const uint8_t> bytes);

}  // namespace spct::protocol
