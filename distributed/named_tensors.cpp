#include "distributed/named_tensors.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>

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

// `root`'s lines, on every rank (collective). Lines longer than 255 bytes are cut: they only feed messages.
std::vector<std::string> broadcast_lines(comm::Communicator& comm, const std::vector<std::string>& lines, int root) {
  uint64_t count = lines.size();
  comm.broadcast(&count, sizeof count, root);
  std::vector<std::string> out;
  for (uint64_t i = 0; i < count; ++i) {
    std::array<char, 256> line{};
    if (comm.rank() == root) lines[i].copy(line.data(), line.size() - 1);
    comm.broadcast(line.data(), line.size(), root);
    out.emplace_back(line.data());
  }
  return out;
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
    // Rank 0's and rank r's lists go to everyone (only now that they differ), so every rank throws the same
    // message, naming the first difference.
    const std::vector<std::string> first = broadcast_lines(comm, lines, 0);
    const std::vector<std::string> other = broadcast_lines(comm, lines, r);
    std::string difference = fmt::format("rank 0 has {} entries, rank {} has {}", first.size(), r, other.size());
    for (size_t i = 0; i < std::min(first.size(), other.size()); ++i) {
      if (first[i] != other[i]) {
        difference = fmt::format("entry {} is '{}' on rank 0 and '{}' on rank {}", i, first[i], other[i], r);
        break;
      }
    }
    throw comm::CommError(fmt::format("{} differ between ranks: {}", what, difference));
  }
}

}  // namespace spct::distributed
