#include "core/stop_signal.h"

#include <unistd.h>

#include <atomic>
#include <csignal>

#include "core/exit_codes.h"
#include "core/whereabouts.h"

namespace spct {
namespace {

std::atomic<int> first_signal{0};
std::atomic<int> interrupts{0};
static_assert(std::atomic<int>::is_always_lock_free, "signal handlers need lock-free atomics");

void write_stderr(const char* text, std::size_t length) {
  // Nothing to do when stderr is gone; the exit code still tells what happened.
  [[maybe_unused]] const ssize_t written = ::write(STDERR_FILENO, text, length);
}

void on_stop_signal(int signal_number) {
  if (signal_number == SIGINT && interrupts.fetch_add(1) >= 1) {
    constexpr char kMessage[] = "spct: second interrupt, exiting now without a checkpoint\n";
    write_stderr(kMessage, sizeof(kMessage) - 1);
    ::_exit(to_int(ExitCode::kInterrupted));
  }
  int expected = 0;
  if (first_signal.compare_exchange_strong(expected, signal_number)) {
    // Fixed strings only (async-signal-safe). SIGTERM is also how mpirun ends the surviving ranks after one
    // aborted or a host was lost, so its message points at the real cause and says what this rank was waiting
    // for (core/whereabouts.h): after a lost host, no spct deadline passes before mpirun's SIGKILL.
    constexpr char kInterrupt[] =
        "spct: stop requested by SIGINT; checkpointing at the end of this step (interrupt again to exit at once)\n";
    constexpr char kTerminate[] =
        "spct: stop requested by SIGTERM; checkpointing at the end of this step (if mpirun sent it because "
        "another rank failed, that rank's error says why; if a host was lost, mpirun's message above names it and "
        "the line below says which rank this one was waiting for)\n";
    constexpr char kUser[] = "spct: stop requested by SIGUSR1; checkpointing at the end of this step\n";
    switch (signal_number) {
      case SIGINT: write_stderr(kInterrupt, sizeof(kInterrupt) - 1); break;
      case SIGTERM:
        write_stderr(kTerminate, sizeof(kTerminate) - 1);
        write_whereabouts(STDERR_FILENO, "SIGTERM");
        break;
      default: write_stderr(kUser, sizeof(kUser) - 1); break;
    }
  }
}

}  // namespace

void install_stop_signal_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // MPI's and the file system's blocking calls continue after the handler
  for (const int signal_number : {SIGTERM, SIGUSR1, SIGINT}) sigaction(signal_number, &action, nullptr);
}

void restore_default_stop_signals() {
  for (const int signal_number : {SIGTERM, SIGUSR1, SIGINT}) std::signal(signal_number, SIG_DFL);
  if (const int pending = first_signal.load(); pending != 0) std::raise(pending);
}

bool stop_requested() {
  return first_signal.load() != 0;
}

int stop_signal_number() {
  return first_signal.load();
}

void request_stop(int signal_number) {
  int expected = 0;
  first_signal.compare_exchange_strong(expected, signal_number);
}

}  // namespace spct
