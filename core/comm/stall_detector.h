// The stall detector: what happens when a wait on other ranks passes its deadline.
//
// Every rank keeps a duplicate of MPI_COMM_WORLD for this purpose only (the control communicator), so probes
// never mix with data traffic. The protocol, from the view of a rank R whose wait expired:
//  1. R sends every other rank a probe (tag kProbeTag): its rank and current phase.
//  2. Every rank that is itself inside a wait answers each probe it sees (tag kReplyTag) with its phase; the
//     answer is sent from its poll loop (poll() below), so a rank that is computing, sleeping, hung or dead
//     does not answer.
//  3. R collects answers for a grace period (min(timeouts.heartbeat_s, 2 s)) and writes one report:
//       "rank 0 (orchestrator) waited 10 s in phase 'reward' on 1 of 4 ranks:
//        rank 3 (reward worker) did not arrive in phase 'reward' within 10 s"
//     naming every expected rank that did not answer and, for ranks that answered from another phase, where
//     they are ("rank 2 (rollout worker) is waiting in phase 'generate'").
//  4. R logs the report as an error and calls MPI_Abort(MPI_COMM_WORLD, 4): mpirun (or srun) ends every rank
//     and exits 4, which SLURM's requeue logic acts on.
// Several ranks may time out together; each reports what it saw, and the first MPI_Abort ends the job.
//
// Thread safety: owned by the thread that owns MPI; not thread-safe.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <vector>

#include "core/comm/deadline.h"
#include "core/comm/rank_state.h"

namespace spct::comm {

class StallDetector {
 public:
  inline static constexpr int kProbeTag = 1;
  inline static constexpr int kReplyTag = 2;

  // Duplicates MPI_COMM_WORLD (a collective over all ranks: call it at startup, on every rank). `state` must
  // outlive this object.
  explicit StallDetector(RankState& state);
  ~StallDetector();

  StallDetector(const StallDetector&) = delete;
  StallDetector& operator=(const StallDetector&) = delete;

  RankState& state() { return state_; }

  // A deadline for one wait in the current phase.
  Deadline deadline() const { return Deadline::after(state_.phase_timeout_s()); }

  // Answers the probes of other ranks that are waiting for this one. Call between polls of every wait.
  void poll();

  // Polls `done` (see wait_until) against the current phase's deadline, answering probes meanwhile. If the
  // deadline passes, runs steps 1-4 above for the `expected` world ranks (the ones this wait needs) and does
  // not return; `before_abort`, if set, runs just before step 4 (the NCCL communicator aborts its kernels
  // there). `what` names the operation for the report ("all_reduce of 4096 float32"). `deadline`: a wait for
  // work started earlier passes the deadline set when it started (CollectiveOptions::timeout_s).
  void wait(const std::function<bool()>& done, const std::vector<int>& expected, const std::string& what,
            const std::function<void()>& before_abort = {}, const std::optional<Deadline>& deadline = std::nullopt);

  // Steps 1-3 without the abort: the report for a wait in the current phase that waited `waited_s` seconds on
  // `expected`. Public so that tests can check it without ending the job.
  std::string inspect(const std::vector<int>& expected, const std::string& what, double waited_s);

 private:
  // A control message in flight: its buffer must live until the send completes.
  struct Outgoing {
    std::vector<uint8_t> bytes;
    MPI_Request request;
  };
  void send_control(int dest, int tag, std::vector<uint8_t> bytes);

  RankState& state_;
  MPI_Comm control_ = MPI_COMM_NULL;
  std::list<Outgoing> outgoing_;  // a list, so buffers do not move while MPI holds their address
  uint32_t probes_sent_ = 0;
};

// Logs `message` as an error, flushes the logs and ends the job with MPI_Abort(MPI_COMM_WORLD, 4).
[[noreturn]] void abort_job(const std::string& message);

}  // namespace spct::comm
