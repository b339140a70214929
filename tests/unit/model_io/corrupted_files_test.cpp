// Truncated and corrupted safetensors files: the reader must answer every one with an InputError or a valid
// parse, never a crash, a hang or another exception. Run under -DSPCT_SANITIZE_ADDRESS=ON to catch stray reads.
#include <catch2/catch.hpp>

#include "core/error.h"
#include "models/io/safetensors.h"
#include "models/io/safetensors_writer.h"
#include "tests/unit/config/test_files.h"
#include "tests/unit/model_io/safetensors_files.h"

using spct::model_io::DType;
using spct::model_io::parse_safetensors_header;
using spct::model_io::SafetensorsFile;
using spct::model_io::SafetensorsWriter;

namespace {

// A small valid file with several dtypes and metadata; its data section ends with tensor bytes (no slack), so
// every strict prefix of it is invalid.
std::vector<std::byte> small_valid_file(const std::filesystem::path& scratch) {
  static const std::vector<float> weights = {1, 2, 3, 4, 5, 6};
  static const std::vector<uint16_t> half = {0x3c00, 0x4000};
  static const std::vector<uint8_t> flags = {1, 0, 1};
  SafetensorsWriter writer;
  writer.add("model.layers.0.w", DType::kF32, {2, 3}, std::as_bytes(std::span(weights)));
  writer.add("model.norm.weight", DType::kBF16, {2}, std::as_bytes(std::span(half)));
  writer.add("mask", DType::kBool, {3}, std::as_bytes(std::span(flags)));
  writer.set_metadata("format", "pt");
  writer.write(scratch);
  return spct::testing::read_bytes(scratch);
}

// Checks the invariants every successful parse promises.
void check_consistent(const spct::model_io::SafetensorsHeader& header, std::size_t file_size) {
  REQUIRE(header.data_start <= file_size);
  for (const auto& info : header.tensors) {
    REQUIRE(info.begin <= info.end);
    REQUIRE(info.end <= file_size - header.data_start);
    REQUIRE(info.end - info.begin == static_cast<uint64_t>(info.numel) * spct::model_io::dtype_size(info.dtype));
  }
}

}  // namespace

TEST_CASE("a file cut at every offset is an InputError", "[safetensors][corrupt]") {
  spct::testing::TempDir dir;
  const std::filesystem::path valid_path = std::filesystem::path(dir.path()) / "valid.safetensors";
  const std::vector<std::byte> valid = small_valid_file(valid_path);
  REQUIRE_NOTHROW(SafetensorsFile(valid_path));
  const std::filesystem::path cut_path = std::filesystem::path(dir.path()) / "cut.safetensors";
  for (std::size_t length = 0; length < valid.size(); ++length) {
    INFO("cut at " << length << " of " << valid.size());
    spct::testing::write_bytes(cut_path, std::span(valid).first(length));
    CHECK_THROWS_AS(SafetensorsFile(cut_path), spct::InputError);
  }
}

TEST_CASE("flipped bytes give an InputError or a consistent parse, never anything else", "[safetensors][corrupt]") {
  spct::testing::TempDir dir;
  const std::filesystem::path valid_path = std::filesystem::path(dir.path()) / "valid.safetensors";
  const std::vector<std::byte> valid = small_valid_file(valid_path);
  const uint64_t data_start = parse_safetensors_header(valid, "valid").data_start;
  std::size_t rejected = 0;
  for (std::size_t position = 0; position < valid.size(); ++position) {
    for (const uint8_t mask : {0x01, 0x20, 0x80, 0xff}) {
      std::vector<std::byte> corrupted = valid;
      corrupted[position] ^= std::byte{mask};
      INFO("byte " << position << " xor " << int(mask));
      try {
        check_consistent(parse_safetensors_header(corrupted, "corrupted"), corrupted.size());
        // Tensor data is opaque; only a header change may be rejected.
      } catch (const spct::InputError&) {
        CHECK(position < data_start);
        ++rejected;
      }
    }
  }
  // Most header bytes are structural (length, braces, quotes, digits): flipping them must be noticed.
  CHECK(rejected > data_start * 2);
}

TEST_CASE("corrupted files on disk fail through the mapped reader too", "[safetensors][corrupt]") {
  spct::testing::TempDir dir;
  const std::filesystem::path valid_path = std::filesystem::path(dir.path()) / "valid.safetensors";
  std::vector<std::byte> corrupted = small_valid_file(valid_path);
  corrupted[8] = std::byte{'['};  // the header's opening brace
  const std::filesystem::path path = std::filesystem::path(dir.path()) / "bad.safetensors";
  spct::testing::write_bytes(path, corrupted);
  CHECK_THROWS_WITH(SafetensorsFile(path), Catch::Matchers::Contains("bad.safetensors (file offset"));
}
