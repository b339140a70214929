// Running other programs from spct: a pipeline stage (a fresh `spct train` with the terminal's output, for as
// long as the stage takes) and short commands whose output spct reads (sbatch, with a deadline).
//
// Thread safety: run_stage_process installs process-wide signal handlers for its duration; call it from one
// thread at a time. run_captured may run concurrently.
#pragma once

#include <string>
#include <vector>

namespace spct::pipeline {

// Runs `argv` (argv[0] looked up on PATH) with this process's stdin, stdout and stderr and waits for it. While it
// runs, SIGTERM and SIGUSR1 sent to this process are passed on to it (a stage checkpoints on them), and SIGINT is
// ignored here (Ctrl-C reaches the child from the terminal; passing it on would count as a second one).
// The stage's own deadlines bound how long it runs. Returns its exit code, or 128 + the signal that killed it.
// Throws spct::Error when it cannot be started.
int run_stage_process(const std::vector<std::string>& argv);

struct CapturedRun {
  int exit_code = 0;   // or 128 + the signal that killed it
  std::string output;  // stdout
  std::string errors;  // stderr
};

// Runs `argv` with no stdin and collects its stdout and stderr. Throws spct::Error when it cannot be started, or
// when it has not finished after `deadline_s` seconds (it is then killed), naming the command.
CapturedRun run_captured(const std::vector<std::string>& argv, double deadline_s);

}  // namespace spct::pipeline
