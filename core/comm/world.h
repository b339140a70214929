// The MPI side of a job: initialises MPI, works out where every rank runs, computes the RankLayout and splits
// the communicators each role needs. One World per process, made at startup by every rank (its constructor is
// a collective over MPI_COMM_WORLD).
//
// Communicators:
//   world()        every rank
//   role()         the ranks of this rank's role (MPI_Comm_split by role)
//   node()         the ranks on this node (MPI_Comm_split_type SHARED); for the layout only
//   learners()     the learners, for gradient all-reduce; null on other ranks
//   weight_sync()  learner 0 and every rollout worker, learner 0 first (rank 0 = the publisher); null on
//                  other ranks
// In a colocated job (one rank) each of these is that single rank.
//
// On a rank that drives a GPU (RankPlacement::device >= 0), learners() and weight_sync() also take device
// memory (hybrid_communicator.h), by the group's transport (device_transport.h): over NCCL when every member of
// the group has a GPU of its own (the NCCL communicator is created here, at startup); broadcasts by CUDA IPC when
// every member is on the same GPU (other collectives staged through pinned host memory); else staged through
// pinned host memory over MPI.
//
// Thread safety: belongs to the thread that owns MPI.
#pragma once

#include <mpi.h>

#include <memory>
#include <string>
#include <vector>

#include "core/comm/layout.h"
#include "core/comm/mpi_communicator.h"
#include "core/comm/rank_state.h"
#include "core/comm/stall_detector.h"
#include "core/comm/world_options.h"
#include "core/config/config.h"

namespace spct::comm {

// Sets the Open MPI parameters spct relies on, unless the environment sets them already; call before MPI_Init
// (MpiSession does). coll_libnbc_iallreduce_algorithm=1: Open MPI's non-blocking all-reduce picks a binomial
// tree for in-place buffers, which measured 2.3x slower than the blocking MPI_Allreduce on 64 MiB (2 ranks);
// the ring matches or beats it, and spct's all-reduces are all non-blocking and in place (deadlines).
void set_mpi_defaults();

// MPI_Init_thread (MPI_THREAD_FUNNELED) on construction, MPI_Finalize on destruction; does nothing when MPI
// is already initialised by someone else (test mains). Sets MPI_COMM_WORLD's error handler to
// MPI_ERRORS_RETURN, so every failure reaches SPCT_MPI_CHECK. MPI_Init_thread must return within `startup_s`
// seconds (timeouts.startup_s), or a StartupWatchdog (startup_watchdog.h) ends the process with exit code 4.
class MpiSession {
 public:
  MpiSession(int* argc, char*** argv, double startup_s);
  ~MpiSession();

  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

 private:
  bool owns_ = false;
};

// Owns one MPI communicator handle and frees it (a null handle is fine).
class CommHandle {
 public:
  CommHandle() = default;
  ~CommHandle();
  CommHandle(const CommHandle&) = delete;
  CommHandle& operator=(const CommHandle&) = delete;

  MPI_Comm get() const { return comm_; }
  // For MPI calls that create the communicator.
  MPI_Comm* out() { return &comm_; }

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
};

class World {
 public:
  // Collective over MPI_COMM_WORLD. Throws spct::UsageError (on every rank) if the world size does not match
  // what `options.layout` needs (`options` usually comes from world_options(config)). `gpus`: ids of the CUDA devices
  // this rank may use (NodeInfo::gpus; empty: none, as for model.device cpu). A GPU rank in a group of several ranks
  // throws spct::UsageError when spct was built without NCCL.
  World(const WorldOptions& options, const std::vector<std::string>& gpus);

  World(const World&) = delete;
  World& operator=(const World&) = delete;

  const RankLayout& layout() const { return *layout_; }
  const RankPlacement& self() const { return layout_->at(rank_); }
  RankState& state() { return *state_; }
  StallDetector& stall() { return *stall_; }

  MpiCommunicator& world() { return *world_; }
  MpiCommunicator& role() { return *role_; }
  MpiCommunicator& node() { return *node_; }
  Communicator* learners() { return learners_ ? learners_.get() : learners_mpi_.get(); }
  Communicator* weight_sync() { return weight_sync_ ? weight_sync_.get() : weight_sync_mpi_.get(); }

 private:
  // The communicator that adds the device path to `host` for a GPU rank; null on a CPU rank. `members`: the
  // group's world ranks.
  std::unique_ptr<Communicator> with_device_path(MpiCommunicator& host, const std::vector<int>& members);

  int rank_ = 0;
  std::unique_ptr<RankLayout> layout_;
  std::unique_ptr<RankState> state_;
  std::unique_ptr<StallDetector> stall_;
  // Declared before the communicators that use them, so they are freed after those.
  CommHandle role_comm_;
  CommHandle node_comm_;
  CommHandle learners_comm_;
  CommHandle weight_comm_;
  std::unique_ptr<MpiCommunicator> world_;
  std::unique_ptr<MpiCommunicator> role_;
  std::unique_ptr<MpiCommunicator> node_;
  std::unique_ptr<MpiCommunicator> learners_mpi_;
  std::unique_ptr<MpiCommunicator> weight_sync_mpi_;
  // Declared after the MPI communicators they bootstrap from, so they are freed first.
  std::unique_ptr<Communicator> learners_;
  std::unique_ptr<Communicator> weight_sync_;
};

}  // namespace spct::comm
