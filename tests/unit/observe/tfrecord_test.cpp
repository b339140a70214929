// TFRecord framing against an independent bitwise CRC32C and by hand-built records.
#include "orchestrator/observe/tfrecord.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <string>

#include "core/error.h"

namespace spct::observe {
namespace {

// CRC32C one bit at a time from its definition (reflected polynomial 0x82F63B78): slow, but shares nothing
// with the table-driven Boost implementation under test.
uint32_t bitwise_crc32c(const std::string& bytes) {
  uint32_t crc = 0xFFFFFFFFu;
  for (const char c : bytes) {
    crc ^= static_cast<unsigned char>(c);
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1u) != 0 ? 0x82F63B78u : 0u);
  }
  return ~crc;
}

// The `size`-byte little-endian integer at `at`.
uint64_t read_le(const std::string& bytes, std::size_t at, std::size_t size) {
  uint64_t value = 0;
  for (std::size_t i = size; i-- > 0;) value = (value << 8) | static_cast<unsigned char>(bytes[at + i]);
  return value;
}

std::string random_bytes(std::mt19937& rng, std::size_t size) {
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(rng() & 0xFF);
  return out;
}

}  // namespace

TEST_CASE("crc32c matches the standard check value and a bitwise reference") {
  CHECK(crc32c("123456789") == 0xE3069283u);
  CHECK(crc32c("") == 0u);
  std::mt19937 rng(7);
  for (std::size_t size : {1, 3, 8, 63, 64, 65, 1000}) {
    const std::string bytes = random_bytes(rng, size);
    CHECK(crc32c(bytes) == bitwise_crc32c(bytes));
  }
}

TEST_CASE("masked_crc32c rotates right by 15 bits and adds the TFRecord delta") {
  const std::string bytes = "tensorboard";
  const uint32_t crc = bitwise_crc32c(bytes);
  CHECK(masked_crc32c(bytes) == static_cast<uint32_t>(((crc >> 15) | (crc << 17)) + 0xa282ead8u));
  CHECK(masked_crc32c(bytes) != crc);
}

TEST_CASE("frame_record lays out length, length CRC, data and data CRC little-endian") {
  const std::string data = "hello, events";
  const std::string record = frame_record(data);
  REQUIRE(record.size() == 8 + 4 + data.size() + 4);
  CHECK(read_le(record, 0, 8) == data.size());
  CHECK(read_le(record, 8, 4) == masked_crc32c(record.substr(0, 8)));
  CHECK(record.substr(12, data.size()) == data);
  CHECK(read_le(record, 12 + data.size(), 4) == masked_crc32c(data));
}

TEST_CASE("parse_records returns every record of a stream in order, empty and binary ones included") {
  std::mt19937 rng(11);
  const std::vector<std::string> records = {"first", "", random_bytes(rng, 300), std::string(5, '\0')};
  std::string stream;
  for (const std::string& r : records) stream += frame_record(r);
  CHECK(parse_records(stream, "mem") == records);
  CHECK(parse_records("", "mem").empty());
}

TEST_CASE("parse_records names the file and byte offset of a damaged record") {
  const std::string first = frame_record("ok");
  const std::string second = frame_record("payload");
  SECTION("a flipped data byte") {
    std::string stream = first + second;
    stream[first.size() + 12] ^= 0x01;
    CHECK_THROWS_AS(parse_records(stream, "ev.tfevents"), InputError);
    CHECK_THROWS_WITH(parse_records(stream, "ev.tfevents"), Catch::Matchers::Contains("ev.tfevents") &&
                                                                Catch::Matchers::Contains("byte 18") &&
                                                                Catch::Matchers::Contains("bad data CRC"));
  }
  SECTION("a flipped length byte") {
    std::string stream = first + second;
    stream[first.size()] ^= 0x40;
    CHECK_THROWS_WITH(parse_records(stream, "f"), Catch::Matchers::Contains("bad length CRC"));
  }
  SECTION("a record cut short, as by a killed writer") {
    const std::string stream = first + second.substr(0, second.size() - 3);
    CHECK_THROWS_WITH(parse_records(stream, "f"),
                      Catch::Matchers::Contains("byte 18") && Catch::Matchers::Contains("declares 7 data bytes"));
    CHECK_THROWS_WITH(parse_records(first + second.substr(0, 5), "f"), Catch::Matchers::Contains("cut short"));
  }
}

TEST_CASE("read_records reports a file it cannot open") {
  CHECK_THROWS_AS(read_records("/nonexistent/spct/events"), InputError);
}

}  // namespace spct::observe
