// The communication interface every role uses: collectives on raw buffers and point-to-point protocol
// messages, over a fixed group of ranks. Implementations: MpiCommunicator (host memory, mpi_communicator.h) and
// NcclCommunicator (device memory, nccl_communicator.h; built with SPCT_HAVE_NCCL).
//
// No call blocks forever: each waits at most the current phase's timeout (RankState::phase_timeout_s()). A wait
// that expires runs the stall detector, which names the ranks that did not arrive and aborts the whole job with
// exit code 4 (stall_detector.h); so a call either completes or the process does not return from it.
// Errors reported by the library (MPI, NCCL, CUDA) throw spct::comm::CommError with file, line and the
// library's message.
//
// Collectives must be called by every rank of the communicator in the same order with matching arguments.
// Thread safety: a communicator belongs to the one thread that owns MPI in its process; not thread-safe. The one
// exception is start_all_reduce() and start_reduce_scatter() where starts_off_thread() says so (NCCL on device
// memory): autograd hooks launch gradient buckets from the backward pass's device threads while the owning thread
// waits in backward().
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/protocol/codec.h"
#include "core/protocol/messages.h"

namespace spct::comm {

enum class DataType { kUInt8, kInt32, kInt64, kFloat32, kFloat64 };
enum class ReduceOp { kSum, kAvg, kMax, kMin };

size_t size_of(DataType type);
std::string to_string(DataType type);
std::string to_string(ReduceOp op);

// Matches any source rank in recv().
inline constexpr int kAnySource = -1;
// Matches any tag in recv_bytes(): the next message from a source in the order it sent them (recv_next()).
inline constexpr int kAnyTag = -1;

// Options of one collective, as c10d's collectives take them.
struct CollectiveOptions {
  // The longest the collective may take from its start, in seconds; 0 = the current phase's timeout
  // (RankState::phase_timeout_s()). Passing it ends the job through the stall detector, as every wait does.
  double timeout_s = 0;
  // Device buffers only: the CUDA stream (a cudaStream_t) whose queued work writes the buffer. The collective
  // runs on the communicator's own stream after that work; null = the legacy default stream, where LibTorch
  // queues its kernels unless told otherwise.
  void* producer_stream = nullptr;
};

// A started collective (c10d's Work): the buffer must stay untouched until wait() returns.
class Work {
 public:
  // A work that was never waited for is waited for here, so its buffer is never freed under the transfer.
  virtual ~Work() = default;
  // True once the collective has completed on this rank; never blocks. Drives progress (MPI progresses
  // non-blocking collectives only inside MPI calls).
  virtual bool poll() = 0;
  // Returns once the collective has completed and its result is in the buffer, for host and device readers
  // alike; a deadline that passes ends the job with a stall report naming rank, role and phase.
  virtual void wait() = 0;
};

// A point-to-point payload and who sent it.
struct Received {
  int source = 0;  // rank in this communicator
  int tag = 0;
  std::vector<uint8_t> bytes;
};

// A protocol message and who sent it.
struct ReceivedMessage {
  int source = 0;
  protocol::Message message;
};

class Communicator {
 public:
  virtual ~Communicator() = default;

  // This process's rank in the communicator, and the number of ranks.
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // The MPI_COMM_WORLD rank of communicator rank `rank` (how reports name ranks).
  virtual int world_rank_of(int rank) const = 0;

  // Combines `count` elements of `data` across all ranks with `op`, in place; every rank ends with the result.
  // kAvg divides the sum by size() (integer division for integer types).
  virtual void all_reduce(void* data, size_t count, DataType type, ReduceOp op) = 0;

  // all_reduce() without waiting: returns a handle to wait on. The default runs all_reduce() and returns a
  // completed handle; MPI and NCCL start a non-blocking collective. Started collectives complete in start order.
  virtual std::unique_ptr<Work> start_all_reduce(void* data, size_t count, DataType type, ReduceOp op,
                                                 const CollectiveOptions& options = {});
  // Whether start_all_reduce() or start_reduce_scatter() on `data` may be called from a thread that does not own
  // MPI while the owning thread does not use this communicator (true only for NCCL on device memory).
  virtual bool starts_off_thread(const void* /*data*/) const { return false; }

  // Copies `bytes` bytes of `data` from rank `root` to every other rank.
  virtual void broadcast(void* data, size_t bytes, int root) = 0;

  // Concatenates each rank's `bytes_per_rank` bytes of `send` into `recv` (size() * bytes_per_rank bytes) on
  // every rank, in rank order. `send` and `recv` must not overlap.
  virtual void all_gather(const void* send, void* recv, size_t bytes_per_rank) = 0;

  // The other half of an all-reduce (ZeRO's gradient sharding): `send` holds size() blocks of `count_per_rank`
  // elements; rank r ends with block r combined across all ranks with `op` in `recv` (`count_per_rank`
  // elements). kAvg divides the sum by size(). `send` and `recv` must not overlap.
  virtual void reduce_scatter(const void* send, void* recv, size_t count_per_rank, DataType type, ReduceOp op) = 0;
  // reduce_scatter() without waiting (ZeRO stage 2 starts each gradient bucket's during backward): `send` and
  // `recv` stay untouched until the handle's wait() returns. The default runs reduce_scatter() and returns a
  // completed handle; MPI and NCCL start a non-blocking collective. Started collectives complete in start order.
  virtual std::unique_ptr<Work> start_reduce_scatter(const void* send, void* recv, size_t count_per_rank, DataType type,
                                                     ReduceOp op, const CollectiveOptions& options = {});

  // Returns once every rank has called barrier().
  virtual void barrier() = 0;

  // Queues a copy of `bytes` (host memory) for rank `dest` with `tag` (0 <= tag < 32768) and returns at once,
  // so a rank can hand out work to many ranks, or two ranks can send to each other, without waiting for the
  // receivers. Delivery progresses whenever this communicator is used; flush() waits for it.
  virtual void send_bytes(int dest, int tag, std::span<const uint8_t> bytes) = 0;
  // Returns once every queued send has been delivered (the receiver has matched it, for large payloads).
  // Destroying a communicator flushes it.
  virtual void flush() = 0;
  // Receives one payload with `tag` (or kAnyTag) from `source` (or kAnySource). Messages from one source that
  // match one receive arrive in the order they were sent: with one tag, or with kAnyTag all of them.
  virtual Received recv_bytes(int source, int tag) = 0;
  // How errors name communicator rank `rank`: "rank 2" (the world rank), or with its role where known.
  virtual std::string describe_peer(int rank) const;

  // Protocol messages travel with their MessageType as the tag, so a receiver can wait for one type while
  // others queue.
  void send(int dest, const protocol::Message& message) {
    send_bytes(dest, static_cast<int>(protocol::type_of(message)), protocol::encode(message));
  }
  // Receives the next message of `type` from `source` (or kAnySource). Throws spct::InputError (from decode,
  // prefixed with the sender: "from rank 2 (reward worker): ...") if the bytes are corrupt.
  ReceivedMessage recv(int source, protocol::MessageType type) {
    return decode_received(recv_bytes(source, static_cast<int>(type)));
  }
  // recv() of a T: `recv_as<protocol::RewardResult>(kAnySource)`.
  template <class T>
  std::pair<int, T> recv_as(int source) {
    const protocol::MessageType type = protocol::type_of(protocol::Message{T{}});
    ReceivedMessage received = recv(source, type);
    return {received.source, std::get<T>(std::move(received.message))};
  }
  // The next message from `source`, whatever its type, in the order `source` sent them: a worker waits for its
  // next piece of work or the Control that ends the phase (core/protocol/messages.h, step 6).
  ReceivedMessage recv_next(int source) { return decode_received(recv_bytes(source, kAnyTag)); }

 private:
  // Decodes a received payload; its type must be the one its tag names (tags are MessageTypes). Decode errors
  // are prefixed with the sender.
  ReceivedMessage decode_received(const Received& received);
};

}  // namespace spct::comm
