// A fault injector for the protocol messages of a real `spct train` job (step_faults.sh). Loaded into every rank
// with LD_PRELOAD, it stands in for MPI_Isend, through which the communicator sends every protocol message
// (core/comm/mpi_communicator.cpp), and passes each call on to Open MPI's own MPI_Isend. It changes nothing unless
// told to by the environment:
//   SPCT_FAULT_FROM_STEP=S   only messages of step S and later are traced or matched; a message's step is its
//                            first field (the step of every message in core/protocol/messages.h; for a Control the
//                            field after its kind)
//   SPCT_FAULT_TRACE=FILE    appends one line per protocol message this rank sends: its key (below)
//   SPCT_FAULT=KEY:ACTION    when this rank is about to send the message KEY, does ACTION instead:
//                              corrupt  sends it with one payload byte flipped (the CRC-32 no longer matches)
//                              drop     never sends it (the send completes at once, as a lost message would)
//                              exit     the rank exits at once with status 1, as a crashing rank does
//                            and writes "spct-fault: injected ACTION at KEY at <unix time>" to stderr first.
// A key names one message of the step by who sends it, what, and to whom:
//   r<sender>:<type>[.<control kind>]:s<step>:d<dest>#<n>, n counting from 0 the sender's earlier messages with
// the same key (the sender's order of one kind of message to one rank is fixed by the protocol).
// Anything that is not a protocol frame (the stall detector's probes, raw bytes) passes untouched.
#include <dlfcn.h>
#include <mpi.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "core/protocol/codec.h"
#include "core/protocol/messages.h"

namespace {

using spct::protocol::MessageType;

// The header fields (codec.h) this needs: magic at 0, type at 6, payload from kHeaderBytes.
bool is_frame(const uint8_t* bytes, size_t size) {
  if (size < spct::protocol::kHeaderBytes + 1) return false;
  uint32_t magic = 0;
  std::memcpy(&magic, bytes, sizeof(magic));
  return magic == spct::protocol::kMagic;
}

const char* kind_name(uint8_t kind) {
  static const char* const kNames[] = {"stop",      "checkpoint",    "shutdown",  "stepdone",
                                       "beginstep", "endgeneration", "endscoring"};
  return kind < std::size(kNames) ? kNames[kind] : "unknown";
}

// The message's type (and Control kind) and its step.
std::string describe_frame(const uint8_t* bytes, size_t size, uint64_t& step) {
  uint16_t type = 0;
  std::memcpy(&type, bytes + 6, sizeof(type));
  const uint8_t* payload = bytes + spct::protocol::kHeaderBytes;
  const size_t payload_size = size - spct::protocol::kHeaderBytes;
  std::string name = spct::protocol::message_type_name(static_cast<MessageType>(type));
  size_t step_at = 0;
  if (static_cast<MessageType>(type) == MessageType::kControl) {
    name += std::string(".") + kind_name(payload[0]);
    step_at = 1;
  }
  step = 0;
  if (payload_size >= step_at + sizeof(step)) std::memcpy(&step, payload + step_at, sizeof(step));
  return name;
}

struct Injector {
  int rank = std::getenv("OMPI_COMM_WORLD_RANK") ? std::atoi(std::getenv("OMPI_COMM_WORLD_RANK")) : -1;
  uint64_t from_step =
      std::getenv("SPCT_FAULT_FROM_STEP") ? std::strtoull(std::getenv("SPCT_FAULT_FROM_STEP"), nullptr, 10) : 0;
  const char* trace = std::getenv("SPCT_FAULT_TRACE");
  std::string fault_key;
  std::string action;
  std::map<std::string, int> seen;  // key without "#n" -> messages sent so far
  std::vector<uint8_t> corrupted;   // the corrupted copy MPI reads until the send completes; one per run

  Injector() {
    if (const char* fault = std::getenv("SPCT_FAULT")) {
      const std::string spec = fault;
      const size_t colon = spec.rfind(':');
      fault_key = spec.substr(0, colon);
      action = spec.substr(colon + 1);
    }
  }
};

Injector& injector() {
  static Injector instance;
  return instance;
}

using IsendFn = int (*)(const void*, int, MPI_Datatype, int, int, MPI_Comm, MPI_Request*);

}  // namespace

extern "C" int MPI_Isend(const void* buf, int count, MPI_Datatype datatype, int dest, int tag, MPI_Comm comm,
                         MPI_Request* request) {
  static const auto real = reinterpret_cast<IsendFn>(dlsym(RTLD_NEXT, "MPI_Isend"));
  Injector& self = injector();
  const auto* bytes = static_cast<const uint8_t*>(buf);
  const auto size = static_cast<size_t>(count);
  if (self.rank < 0 || datatype != MPI_BYTE || !is_frame(bytes, size)) {
    return real(buf, count, datatype, dest, tag, comm, request);
  }
  uint64_t step = 0;
  const std::string what = describe_frame(bytes, size, step);
  if (step < self.from_step) return real(buf, count, datatype, dest, tag, comm, request);
  int world_dest = dest;
  MPI_Group group = MPI_GROUP_NULL;
  MPI_Group world_group = MPI_GROUP_NULL;
  MPI_Comm_group(comm, &group);
  MPI_Comm_group(MPI_COMM_WORLD, &world_group);
  MPI_Group_translate_ranks(group, 1, &dest, world_group, &world_dest);
  MPI_Group_free(&group);
  MPI_Group_free(&world_group);
  const std::string base =
      "r" + std::to_string(self.rank) + ":" + what + ":s" + std::to_string(step) + ":d" + std::to_string(world_dest);
  const std::string key = base + "#" + std::to_string(self.seen[base]++);
  if (self.trace != nullptr) {
    if (FILE* out = std::fopen(self.trace, "a")) {
      std::fprintf(out, "%s\n", key.c_str());
      std::fclose(out);
    }
  }
  if (key != self.fault_key) return real(buf, count, datatype, dest, tag, comm, request);

  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  std::fprintf(stderr, "spct-fault: injected %s at %s at %lld.%03ld\n", self.action.c_str(), key.c_str(),
               static_cast<long long>(now.tv_sec), now.tv_nsec / 1'000'000);
  std::fflush(stderr);
  if (self.action == "drop") {
    *request = MPI_REQUEST_NULL;  // MPI_Test reports a null request complete: the sender believes it sent
    return MPI_SUCCESS;
  }
  if (self.action == "exit") _exit(1);
  // corrupt: the last payload byte, which the CRC-32 covers (codec.h).
  self.corrupted.assign(bytes, bytes + size);
  self.corrupted.back() ^= 0x5A;
  return real(self.corrupted.data(), count, datatype, dest, tag, comm, request);
}
