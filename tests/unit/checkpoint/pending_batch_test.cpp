// The groups an asynchronous run carries over a checkpoint (orchestrator/train/pending_batch.h): saved and read
// back field for field, absent when none was saved, and every kind of damage named with its file and offset.
#include "orchestrator/train/pending_batch.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/error.h"
#include "core/protocol/codec.h"
#include "core/protocol/crc32.h"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using spct::train::CollectedBatch;

namespace {

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("spct-pending-" + std::to_string(::getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

// Step 7's batch of three groups of two completions, the middle one not trained.
CollectedBatch sample_batch() {
  CollectedBatch batch;
  batch.step = 7;
  batch.refill_rounds = 1;
  for (uint64_t id = 40; id < 43; ++id) {
    spct::protocol::PromptItem item{id, {1, 2, static_cast<int32_t>(id)}, "answer " + std::to_string(id), 2};
    spct::protocol::GeneratedGroup group;
    group.step = 7;
    group.prompt_id = id;
    group.policy_version = 6;
    group.completions = {{{5, 6}, {-0.5F, -1.25F}, spct::protocol::FinishReason::kStop},
                         {{7}, {-2.0F}, spct::protocol::FinishReason::kLength}};
    spct::protocol::RewardResult result;
    result.prompt_id = id;
    result.rewards = {1.0, static_cast<double>(id) / 100};
    batch.items.push_back(item);
    batch.groups.push_back(group);
    batch.results.push_back(result);
    batch.trained.push_back(id != 41);
  }
  return batch;
}

std::string read_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& file, const std::string& bytes) {
  std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
}

}  // namespace

TEST_CASE("a pending batch reads back exactly as it was written") {
  TempDir dir;
  const CollectedBatch written = sample_batch();
  spct::train::write_pending_batch(dir.path, written);
  const std::optional<CollectedBatch> read = spct::train::read_pending_batch(dir.path);
  REQUIRE(read);
  CHECK(read->step == 7);
  CHECK(read->refill_rounds == 1);
  CHECK(read->trained == written.trained);
  REQUIRE(read->items.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(read->items[i].prompt_id == written.items[i].prompt_id);
    CHECK(read->items[i].prompt_tokens == written.items[i].prompt_tokens);
    CHECK(read->items[i].answer == written.items[i].answer);
    CHECK(read->groups[i].policy_version == 6);
    CHECK(read->groups[i].completions[0].logprobs == written.groups[i].completions[0].logprobs);
    CHECK(read->groups[i].completions[1].finish_reason == spct::protocol::FinishReason::kLength);
    CHECK(read->results[i].rewards == written.results[i].rewards);
  }
  // The training part skips the untrained group and carries the version that sampled the groups.
  const CollectedBatch::Training training = read->training();
  CHECK(training.batch.items.size() == 2);
  CHECK(training.batch.policy_version == 6);
  CHECK(training.groups[1].prompt_id == 42);
}

TEST_CASE("a pending batch an earlier build saved (wire format 3: prompts without routing) still loads") {
  TempDir dir;
  const CollectedBatch written = sample_batch();
  spct::train::write_pending_batch(dir.path, written);
  // The records as a format-3 build wrote them: the same frames, version 3, each PromptBatch without the 8 bytes
  // of its (empty) route.
  std::string records;
  const auto append = [&](std::vector<uint8_t> frame, bool prompt) {
    if (prompt) {
      frame.resize(frame.size() - 8);
      const uint64_t length = frame.size() - spct::protocol::kHeaderBytes;
      const uint32_t crc = spct::protocol::crc32(std::span<const uint8_t>(frame).subspan(spct::protocol::kHeaderBytes));
      std::memcpy(frame.data() + 8, &length, 8);
      std::memcpy(frame.data() + 16, &crc, 4);
    }
    frame[4] = 3;
    const uint64_t size = frame.size();
    records.append(reinterpret_cast<const char*>(&size), sizeof(size));
    records.append(frame.begin(), frame.end());
  };
  for (std::size_t i = 0; i < written.items.size(); ++i) {
    append(spct::protocol::encode(spct::protocol::PromptBatch{7, 6, {written.items[i]}, 0, {}}), true);
    append(spct::protocol::encode(written.groups[i]), false);
    append(spct::protocol::encode(written.results[i]), false);
  }
  write_bytes(dir.path / "pending_batch.bin", records);
  const std::optional<CollectedBatch> read = spct::train::read_pending_batch(dir.path);
  REQUIRE(read);
  REQUIRE(read->items.size() == 3);
  CHECK(read->items[2].answer == "answer 42");
  CHECK(read->groups[2].completions[0].logprobs == written.groups[2].completions[0].logprobs);
  // Every group of a saved batch is here, and its summary counts its tokens.
  CHECK(read->all_here());
  CHECK(read->summaries[0].completions[0].tokens == 2);
}

TEST_CASE("a checkpoint without a pending batch has none") {
  TempDir dir;
  CHECK_FALSE(spct::train::read_pending_batch(dir.path));
}

TEST_CASE("a damaged pending batch is refused with its file and offset") {
  TempDir dir;
  spct::train::write_pending_batch(dir.path, sample_batch());
  const fs::path bin = dir.path / "pending_batch.bin";
  const std::string bytes = read_bytes(bin);

  SECTION("truncated") {
    write_bytes(bin, bytes.substr(0, bytes.size() - 3));
    CHECK_THROWS_WITH(spct::train::read_pending_batch(dir.path),
                      Contains("pending_batch.bin: at byte offset") && Contains("runs past the end"));
  }
  SECTION("one flipped bit") {
    std::string damaged = bytes;
    damaged[damaged.size() / 2] = static_cast<char>(damaged[damaged.size() / 2] ^ 0x10);
    write_bytes(bin, damaged);
    CHECK_THROWS_AS(spct::train::read_pending_batch(dir.path), spct::InputError);
  }
  SECTION("bytes after the last group") {
    write_bytes(bin, bytes + "x");
    CHECK_THROWS_WITH(spct::train::read_pending_batch(dir.path), Contains("bytes after the last of 3 groups"));
  }
  SECTION("a header that disagrees with the groups") {
    write_bytes(dir.path / "pending_batch.json",
                R"({"format":"spct-pending-batch-1","step":7,"refill_rounds":0,"groups":3,"trained":[true]})");
    CHECK_THROWS_WITH(spct::train::read_pending_batch(dir.path), Contains("\"trained\" has 1 entries for 3 groups"));
  }
  SECTION("the binary file missing") {
    fs::remove(bin);
    CHECK_THROWS_WITH(spct::train::read_pending_batch(dir.path), Contains("pending_batch.bin: cannot open"));
  }
}
