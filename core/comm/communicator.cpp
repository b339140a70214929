#include "core/comm/communicator.h"

#include <fmt/format.h>

#include "core/error.h"

namespace spct::comm {
namespace {

// What the default start_all_reduce() and start_reduce_scatter() return: the collective already ran.
class CompletedWork : public Work {
 public:
  bool poll() override { return true; }
  void wait() override {}
};

}  // namespace

std::unique_ptr<Work> Communicator::start_all_reduce(void* data, size_t count, DataType type, ReduceOp op,
                                                     const CollectiveOptions& /*options*/) {
  all_reduce(data, count, type, op);
  return std::make_unique<CompletedWork>();
}

std::unique_ptr<Work> Communicator::start_reduce_scatter(const void* send, void* recv, size_t count_per_rank,
                                                         DataType type, ReduceOp op,
                                                         const CollectiveOptions& /*options*/) {
  reduce_scatter(send, recv, count_per_rank, type, op);
  return std::make_unique<CompletedWork>();
}

std::string Communicator::describe_peer(int rank) const {
  return fmt::format("rank {}", world_rank_of(rank));
}

ReceivedMessage Communicator::decode_received(const Received& received) {
  try {
    ReceivedMessage message{received.source, protocol::decode(received.bytes)};
    const auto type = protocol::type_of(message.message);
    if (static_cast<int>(type) != received.tag) {
      protocol::throw_unexpected_type(type, static_cast<protocol::MessageType>(received.tag));
    }
    return message;
  } catch (const InputError& e) {
    throw InputError(fmt::format("from {}: {}", describe_peer(received.source), e.what()));
  }
}

}  // namespace spct::comm
