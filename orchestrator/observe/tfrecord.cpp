#include "orchestrator/observe/tfrecord.h"

#include <fmt/format.h>

#include <boost/crc.hpp>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace spct::observe {
namespace {

// CRC-32C: polynomial 0x1EDC6F41, initial value and final XOR all ones, input and output reflected.
using Crc32c = boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true>;

constexpr uint32_t kMaskDelta = 0xa282ead8u;
constexpr std::size_t kLengthBytes = 8;
constexpr std::size_t kCrcBytes = 4;

template <class T>
void put_little_endian(std::string& out, T value) {
  for (std::size_t i = 0; i < sizeof(T); ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

template <class T>
T get_little_endian(std::string_view bytes) {
  T value = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) value |= static_cast<T>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  return value;
}

}  // namespace

uint32_t crc32c(std::string_view bytes) {
  Crc32c crc;
  crc.process_bytes(bytes.data(), bytes.size());
  return crc.checksum();
}

uint32_t masked_crc32c(std::string_view bytes) {
  const uint32_t crc = crc32c(bytes);
  return ((crc >> 15) | (crc << 17)) + kMaskDelta;
}

std::string frame_record(std::string_view data) {
  std::string record;
  record.reserve(kLengthBytes + 2 * kCrcBytes + data.size());
  put_little_endian<uint64_t>(record, data.size());
  put_little_endian<uint32_t>(record, masked_crc32c(std::string_view(record).substr(0, kLengthBytes)));
  record.append(data);
  put_little_endian<uint32_t>(record, masked_crc32c(data));
  return record;
}

std::vector<std::string> parse_records(std::string_view bytes, const std::string& source) {
  std::vector<std::string> records;
  std::size_t offset = 0;
  while (offset < bytes.size()) {
    const std::string_view rest = bytes.substr(offset);
    if (rest.size() < kLengthBytes + kCrcBytes) {
      throw InputError(fmt::format("{}: record at byte {} is cut short in its header ({} of {} bytes)", source, offset,
                                   rest.size(), kLengthBytes + kCrcBytes));
    }
    const std::string_view length_bytes = rest.substr(0, kLengthBytes);
    if (get_little_endian<uint32_t>(rest.substr(kLengthBytes)) != masked_crc32c(length_bytes)) {
      throw InputError(fmt::format("{}: record at byte {} has a bad length CRC", source, offset));
    }
    const uint64_t length = get_little_endian<uint64_t>(length_bytes);
    const std::size_t header = kLengthBytes + kCrcBytes;
    if (length > rest.size() - header || rest.size() - header - length < kCrcBytes) {
      throw InputError(fmt::format("{}: record at byte {} declares {} data bytes but only {} bytes follow", source,
                                   offset, length, rest.size() - header));
    }
    const std::string_view data = rest.substr(header, length);
    if (get_little_endian<uint32_t>(rest.substr(header + length)) != masked_crc32c(data)) {
      throw InputError(fmt::format("{}: record at byte {} has a bad data CRC", source, offset));
    }
    records.emplace_back(data);
    offset += header + length + kCrcBytes;
  }
  return records;
}

std::vector<std::string> read_records(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("cannot open TFRecord file " + path);
  std::ostringstream contents;
  contents << in.rdbuf();
  return parse_records(contents.str(), path);
}

}  // namespace spct::observe
