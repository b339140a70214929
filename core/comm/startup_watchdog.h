// A deadline for the part of start-up that no MPI deadline can cover: MPI_Init_thread itself. Open MPI's
// initialisation waits (inside PMIx) for every rank of the job to arrive, with no timeout; a rank that never
// gets there (stopped, hung while loading, starved) would leave every other rank blocked in MPI_Init_thread, and
// the job silent, forever.
//
// The watchdog is a thread armed before MPI_Init_thread. If it is not disarmed within its deadline, it writes
// one line to stderr naming this rank (from the launcher's environment: MPI cannot say it yet), its host, the
// phase and the deadline, and ends the process with _exit(4) (ExitCode::kRankFailed): the launcher (mpirun,
// srun) then ends the other ranks and the job exits non-zero. Nothing else in the process is touched (no
// destructors, no MPI): the thread that owns MPI is stuck inside it.
//
// Thread safety: arm and disarm from one thread.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace spct::comm {

class StartupWatchdog {
 public:
  // Starts the clock: MPI_Init_thread must return within `timeout_s` seconds (timeouts.startup_s).
  explicit StartupWatchdog(double timeout_s);
  // Disarms.
  ~StartupWatchdog();

  StartupWatchdog(const StartupWatchdog&) = delete;
  StartupWatchdog& operator=(const StartupWatchdog&) = delete;

 private:
  void run();

  const double timeout_s_;
  std::mutex mutex_;
  std::condition_variable disarmed_cv_;
  bool disarmed_ = false;
  std::thread thread_;
};

// "rank 2" from the launcher's environment (mpirun's OMPI_COMM_WORLD_RANK, PMIx's PMIX_RANK, SLURM's
// SLURM_PROCID), or "a rank" when none is set: how a process names itself before MPI knows its rank.
std::string rank_from_launcher_env();

}  // namespace spct::comm
