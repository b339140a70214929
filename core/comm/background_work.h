// Collectives that run in the background: started now, completed by polling later. A rollout worker starts the
// next weight version's receive before it generates and lets it progress while it works
// (distributed/weight_sync.h: overlapped receive). Open MPI moves the bytes of a non-blocking collective only
// inside MPI calls, so the owner must poll() the handle while it works (any MPI call of the process also
// progresses it).
//
// Unlike Communicator::start_all_reduce(), whose deadline runs from the start, a handle's wait() runs against
// the deadline of the phase current at the time of the wait: a receive started when generation begins is
// waited for in the phase that needs its result, and only that wait is bounded. A peer that never arrives then
// ends the job through the stall detector, with a report naming it, as every wait does.
//
// Thread safety: as MpiCommunicator, the thread that owns MPI only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/comm/communicator.h"
#include "core/comm/mpi_communicator.h"

namespace spct::comm {

// Broadcasts `bytes` bytes of `data` from rank `root` of `comm`. `data` must stay untouched until the handle
// reports completion; destroying an unfinished handle waits for it. `comm` must outlive the handle.
std::unique_ptr<Work> start_broadcast(MpiCommunicator& comm, void* data, size_t bytes, int root);

// The maximum of every rank's `*flag`, in place (the partner of a blocking all_reduce(kMax) of one int32).
std::unique_ptr<Work> start_max(MpiCommunicator& comm, int32_t* flag);

}  // namespace spct::comm
