#include "core/comm/startup_watchdog.h"

#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "core/exit_codes.h"

namespace spct::comm {

std::string rank_from_launcher_env() {
  for (const char* name : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "SLURM_PROCID"}) {
    if (const char* value = std::getenv(name); value != nullptr && *value != '\0') {
      return fmt::format("rank {}", value);
    }
  }
  return "a rank";
}

StartupWatchdog::StartupWatchdog(double timeout_s) : timeout_s_(timeout_s), thread_([this] { run(); }) {}

StartupWatchdog::~StartupWatchdog() {
  {
    std::lock_guard lock(mutex_);
    disarmed_ = true;
  }
  disarmed_cv_.notify_all();
  thread_.join();
}

void StartupWatchdog::run() {
  std::unique_lock lock(mutex_);
  const auto timeout = std::chrono::duration<double>(timeout_s_);
  if (disarmed_cv_.wait_for(lock, timeout, [this] { return disarmed_; })) return;
  std::array<char, 256> host{};
  if (gethostname(host.data(), host.size() - 1) != 0) host = {'?'};
  static_assert(to_int(ExitCode::kRankFailed) == 4, "the message below names the exit code");
  const std::string message = fmt::format(
      "[error] {} (pid {}, host {}) did not finish MPI initialisation (MPI_Init_thread) within {:g} s "
      "(timeouts.startup_s): another rank of the job did not start, is stopped or hung, or the launcher cannot "
      "reach it; aborting this rank (exit code 4)\n",
      rank_from_launcher_env(), getpid(), host.data(), timeout_s_);
  // stderr is unbuffered; fwrite keeps the line in one write where the C library can.
  std::fwrite(message.data(), 1, message.size(), stderr);
  std::fflush(stderr);
  std::_Exit(to_int(ExitCode::kRankFailed));
}

}  // namespace spct::comm
