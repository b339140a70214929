#include "core/comm/mpi_communicator.h"

#include <fmt/format.h>

#include <limits>
#include <memory>
#include <numeric>
#include <string>
#include <utility>

#include "core/comm/comm_error.h"
#include "core/comm/mpi_check.h"
#include "core/error.h"

namespace spct::comm {

namespace {

MPI_Datatype mpi_type(DataType type) {
  switch (type) {
    case DataType::kUInt8: return MPI_UINT8_T;
    case DataType::kInt32: return MPI_INT32_T;
    case DataType::kInt64: return MPI_INT64_T;
    case DataType::kFloat32: return MPI_FLOAT;
    case DataType::kFloat64: return MPI_DOUBLE;
  }
  throw UsageError("unknown DataType");
}

MPI_Op mpi_op(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum:
    case ReduceOp::kAvg: return MPI_SUM;  // divided afterwards
    case ReduceOp::kMax: return MPI_MAX;
    case ReduceOp::kMin: return MPI_MIN;
  }
  throw UsageError("unknown ReduceOp");
}

template <class T>
void divide(void* data, size_t count, int by) {
  T* values = static_cast<T*>(data);
  const T divisor = static_cast<T>(by);
  for (size_t i = 0; i < count; ++i) values[i] /= divisor;
}

// MPI counts are int: larger buffers are a caller bug here (GradSync and WeightPublisher send buckets).
int to_count(size_t count, const char* what) {
  if (count > static_cast<size_t>(std::numeric_limits<int>::max())) {
    throw UsageError(fmt::format("{} of {} elements exceeds MPI's int count limit; split it", what, count));
  }
  return static_cast<int>(count);
}

// What a receive waits for, as reports say it: "a message with tag 4 (RewardResult)", "the next message (any
// tag)". Tags that are protocol message types are named; others (raw bytes) are only numbered.
std::string message_wanted(int tag) {
  if (tag == kAnyTag) return "the next message (any tag)";
  const std::string name = protocol::message_type_name(static_cast<protocol::MessageType>(tag));
  if (name.starts_with("message type")) return fmt::format("a message with tag {}", tag);
  return fmt::format("a message with tag {} ({})", tag, name);
}

}  // namespace

size_t size_of(DataType type) {
  switch (type) {
    case DataType::kUInt8: return 1;
    case DataType::kInt32: return 4;
    case DataType::kInt64: return 8;
    case DataType::kFloat32: return 4;
    case DataType::kFloat64: return 8;
  }
  return 0;
}

std::string to_string(DataType type) {
  switch (type) {
    case DataType::kUInt8: return "uint8";
    case DataType::kInt32: return "int32";
    case DataType::kInt64: return "int64";
    case DataType::kFloat32: return "float32";
    case DataType::kFloat64: return "float64";
  }
  return "unknown type";
}

std::string to_string(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum: return "sum";
    case ReduceOp::kAvg: return "avg";
    case ReduceOp::kMax: return "max";
    case ReduceOp::kMin: return "min";
  }
  return "unknown op";
}

MpiCommunicator::MpiCommunicator(MPI_Comm comm, StallDetector& stall, std::string name)
    : comm_(comm), stall_(stall), name_(std::move(name)) {
  SPCT_MPI_CHECK(MPI_Comm_rank(comm_, &rank_));
  SPCT_MPI_CHECK(MPI_Comm_size(comm_, &size_));
  MPI_Group group = MPI_GROUP_NULL;
  MPI_Group world_group = MPI_GROUP_NULL;
  SPCT_MPI_CHECK(MPI_Comm_group(comm_, &group));
  SPCT_MPI_CHECK(MPI_Comm_group(MPI_COMM_WORLD, &world_group));
  std::vector<int> local(static_cast<size_t>(size_));
  std::iota(local.begin(), local.end(), 0);
  world_ranks_.resize(local.size());
  SPCT_MPI_CHECK(MPI_Group_translate_ranks(group, size_, local.data(), world_group, world_ranks_.data()));
  SPCT_MPI_CHECK(MPI_Group_free(&group));
  SPCT_MPI_CHECK(MPI_Group_free(&world_group));
}

std::vector<int> MpiCommunicator::all_ranks() const {
  std::vector<int> ranks(static_cast<size_t>(size_));
  std::iota(ranks.begin(), ranks.end(), 0);
  return ranks;
}

void MpiCommunicator::wait(MPI_Request& request, const std::vector<int>& expected, const std::string& what,
                           const std::optional<Deadline>& deadline) {
  std::vector<int> world_expected;
  world_expected.reserve(expected.size());
  for (int r : expected) world_expected.push_back(world_rank_of(r));
  stall_.wait(
      [&request] {
        int done = 0;
        SPCT_MPI_CHECK(MPI_Test(&request, &done, MPI_STATUS_IGNORE));
        return done != 0;
      },
      world_expected, fmt::format("{} on communicator '{}'", what, name_), {}, deadline);
}

namespace {

void divide_by(void* data, size_t count, DataType type, int size) {
  switch (type) {
    case DataType::kUInt8: divide<uint8_t>(data, count, size); break;
    case DataType::kInt32: divide<int32_t>(data, count, size); break;
    case DataType::kInt64: divide<int64_t>(data, count, size); break;
    case DataType::kFloat32: divide<float>(data, count, size); break;
    case DataType::kFloat64: divide<double>(data, count, size); break;
  }
}

}  // namespace

// A started non-blocking collective: `request` completes it; kAvg then divides the `count` elements of `result`
// (MPI has no average).
class MpiCommunicator::RequestWork : public Work {
 public:
  RequestWork(MpiCommunicator& comm, std::string what, void* result, size_t count, DataType type, ReduceOp op,
              double timeout_s)
      : comm_(comm),
        what_(std::move(what)),
        result_(result),
        count_(count),
        type_(type),
        op_(op),
        deadline_(Deadline::after(timeout_s > 0 ? timeout_s : comm.stall().state().phase_timeout_s())) {}

  ~RequestWork() override {
    // The buffers belong to the caller and MPI still uses them: finish the collective (or end the job).
    if (!done_) wait();
  }

  // Where the MPI call that starts the collective puts its request; a request left null is a collective that
  // completed at its start (one rank).
  MPI_Request* request() { return &request_; }

  bool poll() override {
    if (done_) return true;
    int finished = 0;
    SPCT_MPI_CHECK(MPI_Test(&request_, &finished, MPI_STATUS_IGNORE));
    if (finished != 0) complete();
    return done_;
  }

  void wait() override {
    if (done_) return;
    comm_.wait(request_, comm_.all_ranks(), what_, deadline_);
    complete();
  }

 private:
  void complete() {
    done_ = true;
    if (op_ == ReduceOp::kAvg) divide_by(result_, count_, type_, comm_.size());
  }

  MpiCommunicator& comm_;
  const std::string what_;
  void* const result_;
  const size_t count_;
  const DataType type_;
  const ReduceOp op_;
  const Deadline deadline_;
  MPI_Request request_ = MPI_REQUEST_NULL;
  bool done_ = false;
};

std::unique_ptr<Work> MpiCommunicator::start_all_reduce(void* data, size_t count, DataType type, ReduceOp op,
                                                        const CollectiveOptions& options) {
  auto work = std::make_unique<RequestWork>(
      *this, fmt::format("all_reduce ({}) of {} {}", to_string(op), count, to_string(type)), data, count, type, op,
      options.timeout_s);
  // Sum, avg, max and min of one contribution are the contribution itself: the null request tests complete.
  if (size_ > 1) {
    SPCT_MPI_CHECK(MPI_Iallreduce(MPI_IN_PLACE, data, to_count(count, "all_reduce"), mpi_type(type), mpi_op(op), comm_,
                                  work->request()));
  }
  return work;
}

std::unique_ptr<Work> MpiCommunicator::start_reduce_scatter(const void* send, void* recv, size_t count_per_rank,
                                                            DataType type, ReduceOp op,
                                                            const CollectiveOptions& options) {
  auto work = std::make_unique<RequestWork>(
      *this, fmt::format("reduce_scatter ({}) of {} {} per rank", to_string(op), count_per_rank, to_string(type)), recv,
      count_per_rank, type, op, options.timeout_s);
  SPCT_MPI_CHECK(MPI_Ireduce_scatter_block(send, recv, to_count(count_per_rank, "reduce_scatter"), mpi_type(type),
                                           mpi_op(op), comm_, work->request()));
  return work;
}

void MpiCommunicator::all_reduce(void* data, size_t count, DataType type, ReduceOp op) {
  start_all_reduce(data, count, type, op, {})->wait();
}

void MpiCommunicator::broadcast(void* data, size_t bytes, int root) {
  if (size_ == 1) return;
  MPI_Request request = MPI_REQUEST_NULL;
  SPCT_MPI_CHECK(MPI_Ibcast(data, to_count(bytes, "broadcast"), MPI_BYTE, root, comm_, &request));
  wait(request, all_ranks(), fmt::format("broadcast of {} bytes from rank {}", bytes, root));
}

void MpiCommunicator::all_gather(const void* send, void* recv, size_t bytes_per_rank) {
  MPI_Request request = MPI_REQUEST_NULL;
  const int count = to_count(bytes_per_rank, "all_gather");
  SPCT_MPI_CHECK(MPI_Iallgather(send, count, MPI_BYTE, recv, count, MPI_BYTE, comm_, &request));
  wait(request, all_ranks(), fmt::format("all_gather of {} bytes per rank", bytes_per_rank));
}

void MpiCommunicator::reduce_scatter(const void* send, void* recv, size_t count_per_rank, DataType type, ReduceOp op) {
  start_reduce_scatter(send, recv, count_per_rank, type, op, {})->wait();
}

void MpiCommunicator::barrier() {
  MPI_Request request = MPI_REQUEST_NULL;
  SPCT_MPI_CHECK(MPI_Ibarrier(comm_, &request));
  wait(request, all_ranks(), "barrier");
}

void MpiCommunicator::send_bytes(int dest, int tag, std::span<const uint8_t> bytes) {
  reap_sends();
  PendingSend& send = pending_sends_.emplace_back(
      PendingSend{.bytes = std::vector<uint8_t>(bytes.begin(), bytes.end()), .dest = dest, .tag = tag});
  SPCT_MPI_CHECK(
      MPI_Isend(send.bytes.data(), to_count(send.bytes.size(), "send"), MPI_BYTE, dest, tag, comm_, &send.request));
}

void MpiCommunicator::reap_sends() {
  std::erase_if(pending_sends_, [](PendingSend& send) {
    int done = 0;
    SPCT_MPI_CHECK(MPI_Test(&send.request, &done, MPI_STATUS_IGNORE));
    return done != 0;
  });
}

void MpiCommunicator::flush() {
  for (PendingSend& send : pending_sends_) {
    wait(send.request, {send.dest},
         fmt::format("delivery of {} bytes (tag {}) to rank {}", send.bytes.size(), send.tag, send.dest));
  }
  pending_sends_.clear();
}

MpiCommunicator::~MpiCommunicator() {
  // Sends queued just before shutdown must still reach their receivers. A failure here cannot be thrown out of
  // a destructor; it ends the job like any other stall.
  try {
    flush();
  } catch (const std::exception& e) {
    abort_job(fmt::format("{} could not deliver its last messages on communicator '{}': {}", stall_.state().describe(),
                          name_, e.what()));
  }
}

bool MpiCommunicator::has_message(int source, int tag) {
  int found = 0;
  SPCT_MPI_CHECK(MPI_Iprobe(source == kAnySource ? MPI_ANY_SOURCE : source, tag == kAnyTag ? MPI_ANY_TAG : tag, comm_,
                            &found, MPI_STATUS_IGNORE));
  return found != 0;
}

std::string MpiCommunicator::describe_peer(int rank) const {
  return stall_.state().layout().describe(world_rank_of(rank));
}

Received MpiCommunicator::recv_bytes(int source, int tag) {
  reap_sends();
  const int mpi_source = source == kAnySource ? MPI_ANY_SOURCE : source;
  const int mpi_tag = tag == kAnyTag ? MPI_ANY_TAG : tag;
  MPI_Message message = MPI_MESSAGE_NULL;
  MPI_Status status;
  const auto arrived = [&] {
    int found = 0;
    SPCT_MPI_CHECK(MPI_Improbe(mpi_source, mpi_tag, comm_, &found, &message, &status));
    return found != 0;
  };
  const std::string what = fmt::format("{} from {}", message_wanted(tag),
                                       source == kAnySource ? "any rank" : fmt::format("rank {}", source));
  // From any source, every other rank might be the one that owes the message.
  std::vector<int> expected = source == kAnySource ? all_ranks() : std::vector<int>{source};
  std::vector<int> world_expected;
  for (int r : expected) {
    if (r != rank_) world_expected.push_back(world_rank_of(r));
  }
  stall_.wait(arrived, world_expected, fmt::format("{} on communicator '{}'", what, name_));

  int count = 0;
  SPCT_MPI_CHECK(MPI_Get_count(&status, MPI_BYTE, &count));
  Received received{status.MPI_SOURCE, status.MPI_TAG, std::vector<uint8_t>(static_cast<size_t>(count))};
  // A large message may still be streaming in (rendezvous protocol), so its receive is waited on like the rest.
  MPI_Request request = MPI_REQUEST_NULL;
  SPCT_MPI_CHECK(MPI_Imrecv(received.bytes.data(), count, MPI_BYTE, &message, &request));
  wait(request, {received.source},
       fmt::format("receive of {} bytes (tag {}) from rank {}", count, received.tag, received.source));
  return received;
}

}  // namespace spct::comm
