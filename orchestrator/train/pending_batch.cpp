#include "orchestrator/train/pending_batch.h"

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <span>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/protocol/codec.h"

namespace spct::train {
namespace fs = std::filesystem;
namespace {

constexpr const char* kJsonFile = "pending_batch.json";
constexpr const char* kBinFile = "pending_batch.bin";
constexpr const char* kFormat = "spct-pending-batch-1";
constexpr std::size_t kLengthBytes = 8;

void append_record(std::string& out, const protocol::Message& message) {
  const std::vector<uint8_t> bytes = protocol::encode(message);
  uint64_t length = bytes.size();
  for (std::size_t i = 0; i < kLengthBytes; ++i) out.push_back(static_cast<char>((length >> (8 * i)) & 0xFF));
  out.append(bytes.begin(), bytes.end());
}

std::string read_whole_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(file.string() + ": cannot open");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Reads the records of pending_batch.bin in order, naming the file and offset of anything wrong.
class RecordReader {
 public:
  RecordReader(fs::path file, std::string bytes) : file_(std::move(file)), bytes_(std::move(bytes)) {}

  template <class T>
  T next() {
    const std::size_t at = offset_;
    if (bytes_.size() - offset_ < kLengthBytes) fail(at, "truncated record length");
    uint64_t length = 0;
    for (std::size_t i = 0; i < kLengthBytes; ++i) {
      length |= static_cast<uint64_t>(static_cast<uint8_t>(bytes_[offset_ + i])) << (8 * i);
    }
    offset_ += kLengthBytes;
    if (length > bytes_.size() - offset_) fail(at, "record of " + std::to_string(length) + " bytes runs past the end");
    const std::span<const uint8_t> record(reinterpret_cast<const uint8_t*>(bytes_.data()) + offset_, length);
    offset_ += length;
    try {
      return protocol::decode_as<T>(record);
    } catch (const InputError& error) {
      fail(at, error.what());
    }
  }

  bool at_end() const { return offset_ == bytes_.size(); }
  std::size_t offset() const { return offset_; }

  [[noreturn]] void fail(std::size_t at, const std::string& what) const {
    throw InputError(file_.string() + ": at byte offset " + std::to_string(at) + ": " + what);
  }

 private:
  const fs::path file_;
  const std::string bytes_;
  std::size_t offset_ = 0;
};

}  // namespace

void write_pending_batch(const fs::path& dir, const CollectedBatch& batch) {
  std::string records;
  for (std::size_t i = 0; i < batch.items.size(); ++i) {
    append_record(records, protocol::PromptBatch{batch.step, batch.groups[i].policy_version, {batch.items[i]}, 0, {}});
    append_record(records, batch.groups[i]);
    append_record(records, batch.results[i]);
  }
  const nlohmann::json header = {{"format", kFormat},
                                 {"step", batch.step},
                                 {"refill_rounds", batch.refill_rounds},
                                 {"groups", batch.items.size()},
                                 {"trained", batch.trained}};
  write_file_atomically(dir / kBinFile, records);
  write_file_atomically(dir / kJsonFile, header.dump() + "\n");
}

std::optional<CollectedBatch> read_pending_batch(const fs::path& dir) {
  const fs::path json_file = dir / kJsonFile;
  const fs::path bin_file = dir / kBinFile;
  if (!fs::exists(json_file) && !fs::exists(bin_file)) return std::nullopt;
  const nlohmann::json header = nlohmann::json::parse(read_whole_file(json_file), nullptr, false);
  CollectedBatch batch;
  std::size_t groups = 0;
  try {
    if (!header.is_object() || header.value("format", "") != kFormat) {
      throw InputError(json_file.string() + ": not a " + kFormat + " file");
    }
    batch.step = header.at("step").get<uint64_t>();
    batch.refill_rounds = header.at("refill_rounds").get<int64_t>();
    groups = header.at("groups").get<std::size_t>();
    batch.trained = header.at("trained").get<std::vector<bool>>();
  } catch (const nlohmann::json::exception& error) {
    throw InputError(json_file.string() + ": " + error.what());
  }
  if (batch.trained.size() != groups) {
    throw InputError(json_file.string() + ": \"trained\" has " + std::to_string(batch.trained.size()) +
                     " entries for " + std::to_string(groups) + " groups");
  }
  RecordReader reader(bin_file, read_whole_file(bin_file));
  for (std::size_t i = 0; i < groups; ++i) {
    const std::size_t at = reader.offset();
    protocol::PromptBatch item = reader.next<protocol::PromptBatch>();
    protocol::GeneratedGroup group = reader.next<protocol::GeneratedGroup>();
    protocol::RewardResult result = reader.next<protocol::RewardResult>();
    if (item.items.size() != 1 || item.step != batch.step || group.prompt_id != item.items[0].prompt_id ||
        result.prompt_id != group.prompt_id) {
      reader.fail(at, "group " + std::to_string(i) + " does not match its prompt or step");
    }
    batch.items.push_back(std::move(item.items[0]));
    batch.summaries.push_back(protocol::summary_of(group));
    batch.holders.push_back(0);
    batch.groups.push_back(std::move(group));
    batch.results.push_back(std::move(result));
  }
  if (!reader.at_end()) reader.fail(reader.offset(), "bytes after the last of " + std::to_string(groups) + " groups");
  return batch;
}

}  // namespace spct::train
