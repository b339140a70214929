// TensorBoard event files: written, read back through the framing and decoded, both with the generated protobuf
// code and with a hand decoder of the wire format that knows TensorBoard's field numbers.
#include "orchestrator/observe/event_file.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <string>

#include "core/error.h"
#include "orchestrator/observe/process.h"
#include "orchestrator/observe/tfrecord.h"
#include "tests/unit/config/test_files.h"

namespace spct::observe {
namespace {

// A minimal protobuf wire-format reader: enough to walk Event -> Summary -> Value by field number.
class WireReader {
 public:
  explicit WireReader(std::string_view bytes) : bytes_(bytes) {}
  bool done() const { return at_ >= bytes_.size(); }

  uint64_t varint() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const auto byte = static_cast<unsigned char>(bytes_.at(at_++));
      value |= static_cast<uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) break;
    }
    return value;
  }
  std::string_view take(std::size_t n) {
    REQUIRE(at_ + n <= bytes_.size());
    const std::string_view out = bytes_.substr(at_, n);
    at_ += n;
    return out;
  }

 private:
  std::string_view bytes_;
  std::size_t at_ = 0;
};

struct WireField {
  uint64_t number = 0;
  uint64_t wire_type = 0;
  uint64_t varint = 0;
  std::string_view bytes;  // fixed64/fixed32 raw bytes or a length-delimited payload
};

std::vector<WireField> wire_fields(std::string_view message) {
  std::vector<WireField> fields;
  WireReader reader(message);
  while (!reader.done()) {
    WireField field;
    const uint64_t key = reader.varint();
    field.number = key >> 3;
    field.wire_type = key & 7;
    switch (field.wire_type) {
      case 0: field.varint = reader.varint(); break;
      case 1: field.bytes = reader.take(8); break;
      case 2: field.bytes = reader.take(reader.varint()); break;
      case 5: field.bytes = reader.take(4); break;
      default: FAIL("unexpected wire type " << field.wire_type);
    }
    fields.push_back(field);
  }
  return fields;
}

template <class T>
T from_bytes(std::string_view bytes) {
  T value;
  REQUIRE(bytes.size() == sizeof(T));
  std::memcpy(&value, bytes.data(), sizeof(T));  // little-endian host, as protobuf's fixed encodings are
  return value;
}

}  // namespace

TEST_CASE("an event file starts with brain.Event:2 and holds one scalar per metric per step") {
  testing::TempDir dir;
  const std::string tb_dir = dir.path() + "/run/tensorboard";
  const double start = 1764432000.25;
  std::string path;
  {
    EventFileWriter writer(tb_dir, start);
    path = writer.path();
    writer.write_scalars(0, start + 1, {{"reward/mean", 0.25}, {"loss/kl", 0.001}});
    writer.write_scalars(1, start + 2, {{"reward/mean", 0.5}, {"loss/kl", 0.002}});
  }
  CHECK(std::filesystem::path(path).parent_path() == std::filesystem::path(tb_dir));
  CHECK(std::filesystem::path(path).filename().string() == "events.out.tfevents.1764432000." + this_host());

  const std::vector<DecodedEvent> events = read_event_file(path);
  REQUIRE(events.size() == 3);
  CHECK(events[0].file_version == "brain.Event:2");
  CHECK(events[0].wall_time == start);
  CHECK(events[0].scalars.empty());
  CHECK(events[1].step == 0);
  CHECK(events[1].wall_time == start + 1);
  using Scalars = std::vector<std::pair<std::string, float>>;
  CHECK(events[1].scalars == Scalars{{"loss/kl", 0.001f}, {"reward/mean", 0.25f}});
  CHECK(events[2].step == 1);
  CHECK(events[2].scalars == Scalars{{"loss/kl", 0.002f}, {"reward/mean", 0.5f}});
}

TEST_CASE("event records use TensorBoard's field numbers on the wire") {
  testing::TempDir dir;
  std::string path;
  {
    EventFileWriter writer(dir.path(), 100.5);
    path = writer.path();
    writer.write_scalars(7, 101.5, {{"verifier/accuracy", 0.75}});
  }
  const std::vector<std::string> records = read_records(path);
  REQUIRE(records.size() == 2);

  // Event 1: wall_time = 1 (double), file_version = 3 (string).
  std::map<uint64_t, WireField> first;
  for (const WireField& f : wire_fields(records[0])) first[f.number] = f;
  REQUIRE(first.count(1) == 1);
  CHECK(first[1].wire_type == 1);
  CHECK(from_bytes<double>(first[1].bytes) == 100.5);
  REQUIRE(first.count(3) == 1);
  CHECK(first[3].bytes == "brain.Event:2");

  // Event 2: wall_time = 1, step = 2 (varint), summary = 5 -> Summary.value = 1 -> Value.tag = 1,
  // Value.simple_value = 2 (float).
  std::map<uint64_t, WireField> second;
  for (const WireField& f : wire_fields(records[1])) second[f.number] = f;
  CHECK(from_bytes<double>(second[1].bytes) == 101.5);
  CHECK(second[2].wire_type == 0);
  CHECK(second[2].varint == 7);
  REQUIRE(second.count(5) == 1);
  const std::vector<WireField> summary = wire_fields(second[5].bytes);
  REQUIRE(summary.size() == 1);
  CHECK(summary[0].number == 1);
  std::map<uint64_t, WireField> value;
  for (const WireField& f : wire_fields(summary[0].bytes)) value[f.number] = f;
  CHECK(value[1].bytes == "verifier/accuracy");
  CHECK(value[2].wire_type == 5);
  CHECK(from_bytes<float>(value[2].bytes) == 0.75f);
}

TEST_CASE("a text summary is a DT_STRING tensor tagged for TensorBoard's text plugin") {
  testing::TempDir dir;
  std::string path;
  {
    EventFileWriter writer(dir.path(), 100.5);
    path = writer.path();
    writer.write_text(3, 101.5, "rollouts/samples", "**group 0 #1** reward 1.000");
  }
  const std::vector<DecodedEvent> events = read_event_file(path);
  REQUIRE(events.size() == 2);
  CHECK(events[1].step == 3);
  CHECK(events[1].scalars.empty());
  using Texts = std::vector<std::pair<std::string, std::string>>;
  CHECK(events[1].texts == Texts{{"rollouts/samples", "**group 0 #1** reward 1.000"}});

  // On the wire: Event.summary = 5 -> Summary.value = 1 -> Value {tag = 1, tensor = 8 {dtype = 1: 7 (DT_STRING),
  // tensor_shape = 2 (no dims: a scalar), string_val = 8}, metadata = 9 {plugin_data = 1 {plugin_name = 1}}}.
  const std::vector<std::string> records = read_records(path);
  std::map<uint64_t, WireField> event;
  for (const WireField& f : wire_fields(records[1])) event[f.number] = f;
  const std::vector<WireField> summary = wire_fields(event[5].bytes);
  REQUIRE(summary.size() == 1);
  std::map<uint64_t, WireField> value;
  for (const WireField& f : wire_fields(summary[0].bytes)) value[f.number] = f;
  CHECK(value[1].bytes == "rollouts/samples");
  CHECK(value.count(2) == 0);
  std::map<uint64_t, WireField> tensor;
  for (const WireField& f : wire_fields(value[8].bytes)) tensor[f.number] = f;
  CHECK(tensor[1].varint == 7);
  CHECK(tensor.count(2) == 1);
  CHECK(tensor[8].bytes == "**group 0 #1** reward 1.000");
  const std::vector<WireField> metadata = wire_fields(value[9].bytes);
  REQUIRE(metadata.size() == 1);
  const std::vector<WireField> plugin = wire_fields(metadata[0].bytes);
  REQUIRE_FALSE(plugin.empty());
  CHECK(plugin[0].number == 1);
  CHECK(plugin[0].bytes == "text");
}

TEST_CASE("non-finite metrics are kept as TensorBoard floats") {
  testing::TempDir dir;
  std::string path;
  {
    EventFileWriter writer(dir.path(), 1.0);
    path = writer.path();
    writer.write_scalars(
        0, 2.0, {{"a", std::numeric_limits<double>::quiet_NaN()}, {"b", std::numeric_limits<double>::infinity()}});
  }
  const std::vector<DecodedEvent> events = read_event_file(path);
  REQUIRE(events.size() == 2);
  REQUIRE(events[1].scalars.size() == 2);
  CHECK(std::isnan(events[1].scalars[0].second));
  CHECK(std::isinf(events[1].scalars[1].second));
}

TEST_CASE("an event file is readable after every step, as TensorBoard reads a running job") {
  testing::TempDir dir;
  EventFileWriter writer(dir.path(), 5.0);
  for (int64_t step = 0; step < 3; ++step) {
    writer.write_scalars(step, 6.0 + static_cast<double>(step), {{"reward/mean", static_cast<double>(step)}});
    const std::vector<DecodedEvent> events = read_event_file(writer.path());
    REQUIRE(events.size() == static_cast<std::size_t>(step) + 2);
    CHECK(events.back().step == step);
  }
}

TEST_CASE("an event file that cannot be created or decoded is reported with its path") {
  testing::TempDir dir;
  const std::string blocker = dir.write("file", "not a directory");
  CHECK_THROWS_WITH(EventFileWriter(blocker + "/tb", 1.0), Catch::Matchers::Contains(blocker + "/tb"));
  const std::string junk = dir.write("events.out.tfevents.1.h", frame_record(std::string("\xff\xff\xff", 3)));
  CHECK_THROWS_AS(read_event_file(junk), InputError);
  CHECK_THROWS_WITH(read_event_file(junk), Catch::Matchers::Contains("record 0 is not a TensorBoard Event"));
}

}  // namespace spct::observe
