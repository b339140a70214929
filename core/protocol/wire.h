// Little-endian primitives of the wire format (codec.h): a writer that appends fields to a byte vector and a
// reader that checks every read against the end of its buffer. The reader names the field it was reading
// and the absolute byte offset in its errors, which is what codec.h promises its callers.
//
// The hosts spct runs on are little-endian (x86-64, aarch64), so values are copied as they are in memory; a
// static_assert in wire.cpp keeps a big-endian build from compiling.
//
// Thread safety: values; no shared state.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace spct::protocol {

class WireWriter {
 public:
  explicit WireWriter(std::vector<uint8_t>& out) : out_(out) {}

  template <class T>
  requires std::is_arithmetic_v<T>
  void put(T value) {
    const size_t at = out_.size();
    out_.resize(at + sizeof(T));
    std::memcpy(out_.data() + at, &value, sizeof(T));
  }
  // A u32 element count, then the elements.
  template <class T>
  requires std::is_arithmetic_v<T>
  void put_array(const std::vector<T>& values) {
    put_count(values.size());
    const size_t at = out_.size();
    out_.resize(at + values.size() * sizeof(T));
    if (!values.empty()) std::memcpy(out_.data() + at, values.data(), values.size() * sizeof(T));
  }
  void put_string(const std::string& value);
  // Throws spct::UsageError if `count` does not fit the u32 count field.
  void put_count(size_t count);

 private:
  std::vector<uint8_t>& out_;
};

class WireReader {
 public:
  // `bytes` is the payload; `base_offset` is where it starts in the whole message (for error offsets) and
  // `message` names the message type in errors.
  WireReader(std::span<const uint8_t> bytes, size_t base_offset, std::string message)
      : bytes_(bytes), base_(base_offset), message_(std::move(message)) {}

  template <class T>
  requires std::is_arithmetic_v<T> T get(const std::string& field) {
    T value;
    std::memcpy(&value, take(sizeof(T), field), sizeof(T));
    return value;
  }
  template <class T>
  requires std::is_arithmetic_v<T> std::vector<T> get_array(const std::string& field) {
    const size_t count = get_count(field, sizeof(T));
    std::vector<T> values(count);
    if (count > 0) std::memcpy(values.data(), take(count * sizeof(T), field), count * sizeof(T));
    return values;
  }
  std::string get_string(const std::string& field);
  // A u32 count of elements that each take at least `min_element_bytes`; checked against the bytes left, so a
  // corrupt count cannot make the decoder allocate gigabytes.
  size_t get_count(const std::string& field, size_t min_element_bytes);

  // Byte offset, in the whole message, of the next read.
  size_t offset() const { return base_ + pos_; }
  size_t remaining() const { return bytes_.size() - pos_; }

  // Throws spct::InputError "<message> message: field '<field>' at byte <at>: <problem>"; `at` is the offset
  // of the field in the whole message (offset() before reading it).
  [[noreturn]] void fail(const std::string& field, size_t at, const std::string& problem) const;
  // Throws if any bytes are left after the last field.
  void expect_end() const;

 private:
  const uint8_t* take(size_t n, const std::string& field);

  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
  const size_t base_;
  const std::string message_;
};

}  // namespace spct::protocol
