// The stall detector: what happens when a wait on other ranks passes its deadline.
//
// Every rank keeps a duplicate of MPI_COMM_WORLD for this purpose only (the control communicator), so probes
// never mix with data traffic. The protocol, from the view of a rank R whose wait expired:
//  1. R sends every other rank a probe (tag kProbeTag): its rank, phase and how long it waited.
//  2. Every rank that is itself inside a wait answers each probe it sees (tag kReplyTag) with its phase, the
//     ranks it waits for, what for and since when, and how long its process was not running during R's wait
//     (SuspensionMonitor: stopped or starved). The answer is sent from its poll loop (poll() below), so a rank
//     that is computing, sleeping, stopped, hung or dead does not answer.
//  3. R collects answers for a grace period (min(timeouts.heartbeat_s, 2 s)) and follows the waits: the ranks
//     it waits for, the ranks those wait for, and so on. The cause is a rank on that chain that did not answer
//     (or that answered but was not running for a second or more). The report names it first, with its role,
//     host and the phase its waiter expected it in, then the chain of waits that led there:
//       "rank 4 (learner, host n1) did not arrive in phase 'train' within 10 s: rank 0 (orchestrator) waits
//        for it (a message with tag 7 from rank 4 on communicator 'world') for 9.2 s; rank 2 (reward worker)
//        waited 10 s in phase 'wait for step' for a message with tag 3 from rank 0 on communicator 'world'"
//     So whichever rank times out first, the report blames the rank that did not arrive, not a rank that was
//     waiting like R. When every rank on the chain answered and none was suspended, the ranks wait for each
//     other: operations that do not match (different order or arguments). When R itself was not running for
//     most of its wait, it says so instead of blaming the others.
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
#include "core/comm/suspension_monitor.h"

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

  // A rank not running for at least this long during a wait counts as the cause of a stall.
  static constexpr double kSuspendedS = 1.0;

 private:
  // The wait this rank is in, for its answers to probes.
  struct CurrentWait {
    std::vector<int> expected;  // world ranks
    std::string what;
    Deadline::Clock::time_point since;
  };
  // Sets current_wait_ for a scope (waits do not nest, but inspect() runs inside one).
  class WaitScope;

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
  std::optional<CurrentWait> current_wait_;
  SuspensionMonitor suspension_;
};

// Logs `message` as an error, flushes the logs and ends the job with MPI_Abort(MPI_COMM_WORLD, 4).
[[noreturn]] void abort_job(const std::string& message);

}  // namespace spct::comm
