// `spct train`'s local launch runs mpirun as a child rather than becoming it, so that the job's exit code is
// spct's (core/exit_codes.h) whatever ended it: a rank that died or exited on its own, or a lost host, ends the
// job with 4 and a line naming the rank, its role and host (launcher_report.h), not with mpirun's copy of that
// rank's status.
//
// What stays as it was when spct exec'd mpirun: stdin and stdout are mpirun's (inherited), stderr passes through
// spct line for line as it arrives; stop signals reach mpirun as before: SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1
// and SIGUSR2 sent to spct are passed on to mpirun (which forwards SIGUSR1/2 to the ranks and ends the job on the
// others), except those the terminal sent to the whole foreground process group (Ctrl-C), which mpirun got
// already. Should spct die, mpirun gets SIGTERM (PR_SET_PDEATHSIG).
#pragma once

#include <string>
#include <vector>

namespace spct::run {

struct LauncherLimits {
  // After a rank is lost or aborts the job, how long mpirun may take to end the others and exit: then spct
  // sends it SIGTERM, and SIGKILL kill_grace_s later. The session directory an mpirun so ended leaves in the
  // temporary directory (Open MPI's, about 8 MB) is removed.
  double teardown_s = 10;
  double kill_grace_s = 5;
};

// Runs `command` (mpirun and its arguments) to its end and returns the exit code the job should end with.
// `roles[r]` names rank r's role. Messages spct adds go to stderr, prefixed "spct: ". Throws spct::Error when
// the command cannot be started (e.g. mpirun not installed).
struct LauncherResult {
  int code = 0;
  std::string message;  // why spct chose `code`, when the ranks' own messages do not say; empty otherwise
};
LauncherResult run_launcher(const std::vector<std::string>& command, const std::vector<std::string>& roles,
                            const LauncherLimits& limits);

}  // namespace spct::run
