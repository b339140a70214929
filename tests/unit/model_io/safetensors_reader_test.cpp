// The safetensors header validation: every rule of models/io/safetensors.h, each with the located message.
#include <catch2/catch.hpp>
#include <cstring>

#include "core/error.h"
#include "models/io/safetensors.h"
#include "tests/unit/config/test_files.h"
#include "tests/unit/model_io/safetensors_files.h"

using Catch::Matchers::Contains;
using spct::model_io::DType;
using spct::model_io::parse_safetensors_header;
using spct::model_io::SafetensorsFile;
using spct::testing::safetensors_bytes;

namespace {

// The InputError message parsing `header` + `data` gives; fails the test if it parses.
std::string header_error(const std::string& header, const std::vector<uint8_t>& data = std::vector<uint8_t>(16)) {
  const std::vector<std::byte> bytes = safetensors_bytes(header, data);
  try {
    parse_safetensors_header(bytes, "bad.safetensors");
  } catch (const spct::InputError& e) {
    return e.what();
  }
  FAIL("expected an InputError for header " << header);
  return "";
}

}  // namespace

TEST_CASE("a valid header gives every tensor's dtype, shape, offsets and the metadata", "[safetensors]") {
  const std::string header =
      R"({"__metadata__":{"format":"pt"},"b":{"dtype":"BF16","shape":[2],"data_offsets":[8,12]},)"
      R"("a":{"dtype":"F32","shape":[2,1],"data_offsets":[0,8]},"e":{"dtype":"I64","shape":[0],"data_offsets":[12,12]}})";
  const std::vector<std::byte> bytes = safetensors_bytes(header, std::vector<uint8_t>(12));
  const auto parsed = parse_safetensors_header(bytes, "ok.safetensors");
  CHECK(parsed.data_start == 8 + header.size());
  REQUIRE(parsed.tensors.size() == 3);
  CHECK(parsed.tensors[0].name == "a");
  CHECK(parsed.tensors[0].dtype == DType::kF32);
  CHECK(parsed.tensors[0].shape == std::vector<int64_t>{2, 1});
  CHECK(parsed.tensors[0].numel == 2);
  CHECK(parsed.tensors[1].name == "b");
  CHECK(parsed.tensors[1].dtype == DType::kBF16);
  CHECK(parsed.tensors[1].begin == 8);
  CHECK(parsed.tensors[1].end == 12);
  CHECK(parsed.tensors[2].numel == 0);
  CHECK(parsed.metadata.at("format") == "pt");
}

TEST_CASE("a file too short for the length, or a length past the end, names offset 0", "[safetensors]") {
  const std::vector<std::byte> five(5);
  CHECK_THROWS_WITH(parse_safetensors_header(five, "tiny.safetensors"),
                    Contains("tiny.safetensors (file offset 0)") && Contains("5 bytes"));
  std::vector<std::byte> bytes = safetensors_bytes("{}", {});
  bytes[0] = std::byte{3};
  CHECK_THROWS_WITH(parse_safetensors_header(bytes, "f"), Contains("header length 3 runs past the end"));
  bytes[0] = std::byte{2};
  bytes[7] = std::byte{0x80};
  CHECK_THROWS_WITH(parse_safetensors_header(bytes, "f"), Contains("runs past the end"));
}

TEST_CASE("malformed JSON names the file offset of the bad character", "[safetensors]") {
  // The 'x' sits at header byte 6, file offset 14.
  const std::string message = header_error(R"({"a": x})");
  CHECK_THAT(message, Contains("bad.safetensors (file offset 14)") && Contains("not valid JSON"));
  CHECK_THAT(header_error("[1, 2]"), Contains("must be a JSON object"));
  CHECK_THAT(header_error(""), Contains("not valid JSON"));
  // Found by the fuzzer: a number too large for a double is not a syntax error but must still be an InputError.
  CHECK_THAT(header_error(R"({"a":{"shape":[4e949673]}})"), Contains("(file offset 8): the header is not usable JSON"));
}

TEST_CASE("entry errors name the tensor and where its key is", "[safetensors]") {
  const std::string message = header_error(R"({"weight.one":{"dtype":"F8","shape":[1],"data_offsets":[0,1]}})");
  CHECK_THAT(message, Contains("tensor 'weight.one' (file offset 9)") && Contains("dtype \"F8\""));
  CHECK_THAT(header_error(R"({"w":[1]})"), Contains("tensor 'w'") && Contains("must be an object"));
  CHECK_THAT(header_error(R"({"w":{"dtype":"F32","shape":[1]}})"), Contains("missing 'data_offsets'"));
  CHECK_THAT(header_error(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}})"),
             Contains("unknown key 'x'"));
  CHECK_THAT(header_error(R"({"w":{"dtype":7,"shape":[1],"data_offsets":[0,4]}})"), Contains("dtype 7"));
}

TEST_CASE("shapes must be non-negative integers whose product fits", "[safetensors]") {
  CHECK_THAT(header_error(R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})"),
             Contains("not a non-negative integer"));
  CHECK_THAT(header_error(R"({"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})"),
             Contains("not a non-negative integer"));
  CHECK_THAT(header_error(R"({"w":{"dtype":"F32","shape":"4","data_offsets":[0,4]}})"),
             Contains("shape must be an array"));
  CHECK_THAT(header_error(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}})"),
             Contains("more elements than fit"));
  CHECK_THAT(header_error(R"({"w":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,4]}})"),
             Contains("too large to address"));
}

TEST_CASE("data offsets must lie in the data section and match the shape", "[safetensors]") {
  CHECK_THAT(header_error(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}})"), Contains("end before"));
  CHECK_THAT(header_error(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[16,20]}})"),
             Contains("past the data section of 16 bytes"));
  CHECK_THAT(header_error(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})"),
             Contains("span 4 bytes but F32 [2] needs 8"));
  CHECK_THAT(header_error(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}})"),
             Contains("two non-negative integers"));
  CHECK_THAT(header_error(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}})"),
             Contains("two non-negative integers"));
  CHECK_THAT(header_error(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,18446744073709551615]}})"),
             Contains("past the data section"));
}

TEST_CASE("overlapping tensors are rejected, naming both", "[safetensors]") {
  const std::string message = header_error(
      R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})");
  CHECK_THAT(message, Contains("tensor 'b'") && Contains("overlap tensor 'a' at [0, 8)"));
}

TEST_CASE("a tensor named twice is rejected", "[safetensors]") {
  CHECK_THAT(header_error(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                          R"("a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})"),
             Contains("tensor 'a'") && Contains("names this tensor twice"));
}

TEST_CASE("__metadata__ must map strings to strings", "[safetensors]") {
  CHECK_THAT(header_error(R"({"__metadata__":{"format":1}})"), Contains("'__metadata__'") && Contains("'format'"));
  CHECK_THAT(header_error(R"({"__metadata__":["pt"]})"), Contains("must be an object of strings"));
}

TEST_CASE("a mapped file looks tensors up by name and views their bytes", "[safetensors]") {
  spct::testing::TempDir dir;
  const std::filesystem::path path = std::filesystem::path(dir.path()) / "w.safetensors";
  const float values[2] = {1.5F, -2.0F};
  std::vector<uint8_t> data(8);
  std::memcpy(data.data(), values, 8);
  spct::testing::write_bytes(path,
                             safetensors_bytes(R"({"w":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}})", data));
  const SafetensorsFile file(path);
  const auto view = file.get("w");
  CHECK(view.dtype == DType::kF32);
  CHECK(std::vector<int64_t>(view.shape.begin(), view.shape.end()) == std::vector<int64_t>{1, 2});
  REQUIRE(view.bytes.size() == 8);
  float read[2];
  std::memcpy(read, view.bytes.data(), 8);
  CHECK(read[0] == 1.5F);
  CHECK(read[1] == -2.0F);
  CHECK_FALSE(file.find("v").has_value());
  CHECK_THROWS_WITH(file.get("v"), Contains("w.safetensors: no tensor named 'v'"));
}

TEST_CASE("missing and non-regular files are InputErrors naming the path", "[safetensors]") {
  spct::testing::TempDir dir;
  CHECK_THROWS_AS(SafetensorsFile(std::filesystem::path(dir.path()) / "absent.safetensors"), spct::InputError);
  CHECK_THROWS_WITH(SafetensorsFile(std::filesystem::path(dir.path()) / "absent.safetensors"),
                    Contains("absent.safetensors: cannot open"));
  CHECK_THROWS_WITH(SafetensorsFile(dir.path()), Contains("not a regular file"));
  const std::filesystem::path empty = std::filesystem::path(dir.path()) / "empty.safetensors";
  spct::testing::write_bytes(empty, {});
  CHECK_THROWS_WITH(SafetensorsFile(empty), Contains("empty.safetensors (file offset 0)"));
}
