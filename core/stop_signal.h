// Graceful stops on signals: the first SIGTERM, SIGUSR1 or SIGINT asks the run to stop at the next step
// boundary (every rank agrees on that step, a checkpoint is written, and the process exits with
// ExitCode::kCheckpointed, "requeue me"); a second SIGINT (Ctrl-C twice) ends the process at once with
// ExitCode::kInterrupted, without a checkpoint.
//
// SLURM sends SIGUSR1 ahead of a time limit (sbatch --signal) and SIGTERM on preemption; Open MPI's mpirun
// forwards SIGUSR1 to every rank. A signal to any one rank is enough: the step loop combines every rank's
// request (train/step_backend.h: agree_to_stop).
//
// Thread safety: the handlers only touch lock-free atomics and write(2); stop_requested() may be called from
// any thread.
#pragma once

namespace spct {

// Installs the handlers. Idempotent.
void install_stop_signal_handlers();

// Gives the stop signals their default action back, for work that never looks at stop_requested() (the
// one-process GRM jobs, which restart from their beginning anyway). A stop already requested is carried out now,
// by raising that signal again.
void restore_default_stop_signals();

// True once a stop signal has arrived.
bool stop_requested();

// The number of the first stop signal received, 0 when none.
int stop_signal_number();

// Marks a stop as requested, as a signal would (tests, and ranks told by others).
void request_stop(int signal_number);

}  // namespace spct
