#include "distributed/named_tensors.h"

#include <fmt/format.h>

#include "core/comm/comm_error.h"
#include "core/error.h"

namespace spct::distributed {

namespace {

// FNV-1a over the descriptions: equal lists hash equal; a collision between different lists is 2^-64 likely.
uint64_t fingerprint(const std::vector<std::string>& lines) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (const std::string& line : lines) {
    for (const char c : line + "\n") {
      hash ^= static_cast<uint8_t>(c);
      hash *= 0x100000001b3ull;
    }
  }
  return hash;
}

}  // namespace

comm::DataType reducible_type(at::ScalarType type, const std::string& what) {
  switch (type) {
    case at::kFloat: return comm::DataType::kFloat32;
    case at::kDouble: return comm::DataType::kFloat64;
    case at::kInt: return comm::DataType::kInt32;
    case at::kLong: return comm::DataType::kInt64;
    case at::kByte: return comm::DataType::kUInt8;
    default:
      throw UsageError(fmt::format("{} has dtype {}; collectives reduce float32, float64, int32, int64 and uint8", what,
                                   c10::toString(type)));
  }
}

std::string describe(const std::string& name, const at::Tensor& tensor) {
  return fmt::format("{} [{}] {}", name, fmt::join(tensor.sizes(), ", "), c10::toString(tensor.scalar_type()));
}

void check_same_everywhere(comm::Communicator& comm, const NamedTensors& tensors, const std::string& what) {
  std::vector<std::string> lines;
  lines.reserve(tensors.size());
  for (const auto& [name, tensor] : tensors) lines.push_back(describe(name, tensor));
  const uint64_t mine = fingerprint(lines);
  std::vector<uint64_t> all(static_cast<size_t>(comm.size()));
  comm.all_gather(&mine, all.data(), sizeof mine);
  for (int r = 1; r < comm.size(); ++r) {
    if (all[static_cast<size_t>(r)] == all[0]) continue;
    // Rank 0's list, for the message: its count and its entries are broadcast only now that they differ.
    uint64_t count = lines.size();
    comm.broadcast(&count, sizeof count, 0);
    // Every rank runs the whole loop: the broadcasts are collective.
    std::string first_difference;
    for (uint64_t i = 0; i < count; ++i) {
      std::vector<char> line(256, '\0');
      if (comm.rank() == 0) lines[i].copy(line.data(), line.size() - 1);
      comm.broadcast(line.data(), line.size(), 0);
      const std::string theirs(line.data());
      const std::string here = i < lines.size() ? lines[i] : "nothing";
      if (first_difference.empty() && theirs != here) {
        first_difference = fmt::format("entry {} is '{}' on rank 0 and '{}' on rank {}", i, theirs, here, comm.rank());
      }
    }
    if (first_difference.empty()) {
      first_difference = count != lines.size()
                             ? fmt::format("rank 0 has {} entries, rank {} has {}", count, comm.rank(), lines.size())
                             : fmt::format("rank {} agrees with rank 0", comm.rank());
    }
    throw comm::CommError(
        fmt::format("{} differ between ranks: rank {}'s list is not rank 0's ({})", what, r, first_difference));
  }
}

}  // namespace spct::distributed
