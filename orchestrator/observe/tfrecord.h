// TFRecord framing, the container format of TensorBoard event files. Each record is
//   uint64 length | uint32 masked_crc32c(length) | length bytes of data | uint32 masked_crc32c(data)
// with integers little-endian. CRC32C is the Castagnoli CRC; the mask, ((crc >> 15) | (crc << 17)) + 0xa282ead8,
// keeps a CRC of data that itself holds CRCs from looking like one.
//
// Thread safety: free functions without shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace spct::observe {

// The CRC32C (Castagnoli) of `bytes`; crc32c("123456789") == 0xE3069283.
uint32_t crc32c(std::string_view bytes);

// The masked CRC32C that TFRecord stores.
uint32_t masked_crc32c(std::string_view bytes);

// The bytes of one record holding `data`.
std::string frame_record(std::string_view data);

// The data of every record in `bytes`, in order. Throws spct::InputError naming `source` and the byte offset when
// a record is cut short or a length or data CRC does not match.
std::vector<std::string> parse_records(std::string_view bytes, const std::string& source);

// parse_records() over the whole file at `path`. Throws spct::InputError when it cannot be read.
std::vector<std::string> read_records(const std::string& path);

}  // namespace spct::observe
