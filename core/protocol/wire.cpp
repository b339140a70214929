#include "core/protocol/wire.h"

#include <fmt/format.h>

#include <bit>
#include <limits>

#include "core/error.h"

namespace spct::protocol {

static_assert(std::endian::native == std::endian::little, "the wire format is little-endian; add byte swaps");

void WireWriter::put_count(size_t count) {
  if (count > std::numeric_limits<uint32_t>::max()) {
    throw UsageError(fmt::format("a protocol field holds {} elements; the wire format allows at most 2^32 - 1", count));
  }
  put(static_cast<uint32_t>(count));
}

void WireWriter::put_string(const std::string& value) {
  put_count(value.size());
  out_.insert(out_.end(), value.begin(), value.end());
}

void WireReader::fail(const std::string& field, size_t at, const std::string& problem) const {
  throw InputError(fmt::format("{} message: field '{}' at byte {}: {}", message_, field, at, problem));
}

const uint8_t* WireReader::take(size_t n, const std::string& field) {
  if (n > remaining()) {
    fail(field, offset(), fmt::format("truncated: needs {} bytes, the payload has {} left", n, remaining()));
  }
  const uint8_t* p = bytes_.data() + pos_;
  pos_ += n;
  return p;
}

size_t WireReader::get_count(const std::string& field, size_t min_element_bytes) {
  const size_t at = offset();
  const auto count = static_cast<size_t>(get<uint32_t>(field + " (count)"));
  if (min_element_bytes > 0 && count > remaining() / min_element_bytes) {
    throw InputError(
        fmt::format("{} message: field '{}' at byte {}: count {} needs at least {} bytes, the payload "
                    "has {} left",
                    message_, field, at, count, count * min_element_bytes, remaining()));
  }
  return count;
}

std::string WireReader::get_string(const std::string& field) {
  const size_t n = get_count(field, 1);
  const uint8_t* p = take(n, field);
  return std::string(reinterpret_cast<const char*>(p), n);
}

void WireReader::expect_end() const {
  if (remaining() != 0) {
    throw InputError(fmt::format("{} message: {} unexpected bytes after the last field, at byte {}", message_,
                                 remaining(), offset()));
  }
}

}  // namespace spct::protocol
