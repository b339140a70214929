// The safetensors writer: what it writes reads back exactly, laid out deterministically and aligned.
#include "models/io/safetensors_writer.h"

#include <catch2/catch.hpp>
#include <cstring>

#include "core/error.h"
#include "models/io/safetensors.h"
#include "tests/unit/config/test_files.h"
#include "tests/unit/model_io/safetensors_files.h"

using Catch::Matchers::Contains;
using spct::model_io::DType;
using spct::model_io::SafetensorsFile;
using spct::model_io::SafetensorsWriter;

namespace {

template <typename T>
std::span<const std::byte> bytes_of(const std::vector<T>& values) {
  return std::as_bytes(std::span(values));
}

}  // namespace

TEST_CASE("written tensors read back with their dtype, shape, bytes and metadata", "[safetensors]") {
  spct::testing::TempDir dir;
  const std::filesystem::path path = std::filesystem::path(dir.path()) / "out.safetensors";
  const std::vector<float> weights = {0.25F, -1.0F, 3.5F, 7.0F, 1e-30F, -0.0F};
  const std::vector<uint16_t> half = {0x3c00, 0x8001, 0x7bff};
  const std::vector<int64_t> ids = {-5, 1LL << 40};
  const std::vector<uint8_t> mask = {1, 0, 1};

  SafetensorsWriter writer;
  writer.add("mask", DType::kBool, {3}, bytes_of(mask));
  writer.add("model.w", DType::kF32, {2, 3}, bytes_of(weights));
  writer.add("half", DType::kBF16, {3}, bytes_of(half));
  writer.add("ids", DType::kI64, {2}, bytes_of(ids));
  writer.add("empty", DType::kF16, {0, 4}, {});
  writer.set_metadata("format", "pt");
  CHECK(writer.tensor_count() == 5);
  CHECK(writer.data_bytes() == 24 + 6 + 16 + 3);
  writer.write(path);

  const SafetensorsFile file(path);
  CHECK(file.metadata().at("format") == "pt");
  REQUIRE(file.tensors().size() == 5);
  const auto w = file.get("model.w");
  CHECK(w.dtype == DType::kF32);
  CHECK(std::vector<int64_t>(w.shape.begin(), w.shape.end()) == std::vector<int64_t>{2, 3});
  REQUIRE(w.bytes.size() == 24);
  // The file must hold exactly these bytes, so the comparison is of the representation, not the values.
  CHECK(std::memcmp(w.bytes.data(), weights.data(), 24) == 0);  // NOLINT(bugprone-suspicious-memory-comparison)
  CHECK(std::memcmp(file.get("half").bytes.data(), half.data(), 6) == 0);
  CHECK(file.get("half").dtype == DType::kBF16);
  CHECK(std::memcmp(file.get("ids").bytes.data(), ids.data(), 16) == 0);
  CHECK(std::memcmp(file.get("mask").bytes.data(), mask.data(), 3) == 0);
  CHECK(file.get("empty").bytes.empty());
  CHECK(file.get("empty").shape.size() == 2);
}

TEST_CASE("the header is padded to 8 bytes and every tensor is aligned to its element size", "[safetensors]") {
  spct::testing::TempDir dir;
  const std::filesystem::path path = std::filesystem::path(dir.path()) / "aligned.safetensors";
  const std::vector<uint8_t> one_byte = {7};
  const std::vector<uint16_t> two_bytes = {1, 2, 3};
  const std::vector<float> four_bytes = {1, 2, 3};
  const std::vector<double> eight_bytes = {1};
  SafetensorsWriter writer;
  // Added smallest first: the writer must still place the 8-byte elements first.
  writer.add("a", DType::kU8, {1}, bytes_of(one_byte));
  writer.add("b", DType::kF16, {3}, bytes_of(two_bytes));
  writer.add("c", DType::kF32, {3}, bytes_of(four_bytes));
  writer.add("d", DType::kF64, {1}, bytes_of(eight_bytes));
  CHECK(writer.header().size() % 8 == 0);
  writer.write(path);

  const SafetensorsFile file(path);
  for (const auto& info : file.tensors()) {
    INFO(info.name);
    CHECK(info.begin % spct::model_io::dtype_size(info.dtype) == 0);
    CHECK(reinterpret_cast<uintptr_t>(file.view(info).bytes.data()) % spct::model_io::dtype_size(info.dtype) == 0);
  }
  CHECK(file.get("d").bytes.data() < file.get("c").bytes.data());
  CHECK(file.get("c").bytes.data() < file.get("b").bytes.data());
}

TEST_CASE("the same tensors give the same file whatever order they were added in", "[safetensors]") {
  spct::testing::TempDir dir;
  const std::filesystem::path first = std::filesystem::path(dir.path()) / "1.safetensors";
  const std::filesystem::path second = std::filesystem::path(dir.path()) / "2.safetensors";
  const std::vector<float> x = {1, 2};
  const std::vector<float> y = {3};
  const std::vector<uint16_t> z = {4, 5};
  SafetensorsWriter forward;
  forward.add("x", DType::kF32, {2}, bytes_of(x));
  forward.add("y", DType::kF32, {1}, bytes_of(y));
  forward.add("z", DType::kBF16, {2}, bytes_of(z));
  forward.write(first);
  SafetensorsWriter backward;
  backward.add("z", DType::kBF16, {2}, bytes_of(z));
  backward.add("y", DType::kF32, {1}, bytes_of(y));
  backward.add("x", DType::kF32, {2}, bytes_of(x));
  backward.write(second);
  CHECK(spct::testing::read_bytes(first) == spct::testing::read_bytes(second));
}

TEST_CASE("the writer refuses duplicate names and byte counts that do not match", "[safetensors]") {
  const std::vector<float> x = {1, 2};
  SafetensorsWriter writer;
  writer.add("x", DType::kF32, {2}, bytes_of(x));
  CHECK_THROWS_WITH(writer.add("x", DType::kF32, {2}, bytes_of(x)), Contains("'x' added twice"));
  CHECK_THROWS_WITH(writer.add("y", DType::kF32, {3}, bytes_of(x)),
                    Contains("has 8 bytes, its dtype and shape need 12"));
  CHECK_THROWS_WITH(writer.add("z", DType::kF32, {-2}, bytes_of(x)), Contains("negative dimension"));
  CHECK_THROWS_WITH(writer.add("__metadata__", DType::kF32, {2}, bytes_of(x)), Contains("not a tensor name"));
}

TEST_CASE("a write into a missing directory fails cleanly and leaves nothing behind", "[safetensors]") {
  spct::testing::TempDir dir;
  const std::vector<float> x = {1};
  SafetensorsWriter writer;
  writer.add("x", DType::kF32, {1}, bytes_of(x));
  CHECK_THROWS_AS(writer.write(std::filesystem::path(dir.path()) / "no" / "such.safetensors"), spct::Error);
  CHECK(std::filesystem::is_empty(dir.path()));
}
