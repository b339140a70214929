// What mpirun and the ranks wrote to stderr about how a job ended, read line by line while the job runs, and the
// exit code spct gives the job from it (core/exit_codes.h). `spct train` runs mpirun as a child
// (launcher_child.h) and passes its stderr through this.
//
// Why: mpirun ends the job with the status of the first rank that failed, so a rank that died on a signal, or
// exited on its own (a crash, a library calling exit()), or a host that vanished, would end the job with that
// rank's number (1, 9, ...) and no word about which rank it was. spct's ranks report their own failures: a
// rank that aborts the job says "aborting the job (exit code N)" (core/comm/stall_detector.h), one that stops
// for a reason of its own prints "spct: error: ..." before it exits. Everything else that ends a rank is a
// rank failure that nobody explained: exit 4, with a line naming the rank, its role and host.
//
// Open MPI's messages read (4.1, help-orterun.txt, help-errmgr-base.txt, help-mpi-btl-tcp.txt):
//   mpirun noticed that process rank 4 with PID 123 on node h3 exited on signal 9 (Killed).
//   mpirun detected that one or more processes exited with non-zero status ... Process name: [[7,1],4]
//     Exit code:    1
//   ... has exited due to process rank 4 with PID 123 on / node h3 exiting improperly ...
//   a lost host: "ORTE has lost communication with a remote daemon" or (4.1.4, measured) "ORTE was unable to
//   reliably start one or more daemons", and from the ranks "Peer host: 10.0.0.13"; neither names a rank.
//   a rank failed: "Primary job terminated normally, but 1 process returned / a non-zero exit code. Per
//   user-direction, the job has been aborted." as its abort begins; the rank is named only once the abort ends,
//   which a frozen host's daemon can keep from ever happening (measured: mpirun waits for it for ever).
// The ranks' hosts come from the rank-layout table rank 0 prints at startup (core/comm/layout.h: table()). Which
// ranks a lost host ran, spct's survivors say: as mpirun ends them each writes "spct: at SIGTERM rank R (role,
// host H) ... waiting ... for rank Q (role, host H2) ..." (core/whereabouts.h); the lost ranks are those waited
// for on hosts where no rank wrote such a line.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spct::run {

class LauncherReport {
 public:
  // `roles[r]`: how rank r is named, e.g. "learner" (the layout the config asks for).
  explicit LauncherReport(std::vector<std::string> roles) : roles_(std::move(roles)) {}

  // One line of mpirun's stderr, without its newline.
  void read_line(std::string_view line);

  // True once a rank or host was lost (died, exited on its own, its daemon gone) or a rank aborted the job:
  // mpirun should end by itself now, and the caller gives it a deadline to.
  bool job_failing() const {
    return abort_code_.has_value() || died_.has_value() || exit_rank_ >= 0 || host_lost_ || aborting_;
  }

  // The lost rank or host in words, e.g. "rank 4 (learner, host h3) exited on signal 9 (Killed)"; empty when
  // nothing was lost.
  std::string lost() const;

  // The exit code and, when spct has something to add, a message for a job whose mpirun ended with `wait_status`
  // (waitpid's). `stop_forwarded`: spct passed a stop signal to mpirun, so ranks that died of mpirun's teardown
  // are no failure of theirs: mpirun's own status stands.
  struct Verdict {
    int code = 0;
    std::string message;  // empty: the ranks' own messages explain the code
  };
  Verdict verdict(int wait_status, bool stop_forwarded) const;

 private:
  struct Lost {
    int rank = -1;
    std::string host;  // as mpirun names it
    std::string how;   // "died on signal 9 (Killed)"
  };
  std::string name(int rank, const std::string& host) const;
  std::string host_of(int rank) const;
  std::vector<int> ranks_on_lost_host() const;
  std::vector<int> unanswered() const;

  std::vector<std::string> roles_;
  std::vector<std::string> hosts_;  // from the layout table, by rank; "" while unknown
  std::optional<int> abort_code_;   // a rank said "aborting the job (exit code N)"
  bool explained_ = false;          // a rank printed "spct: error: ..." or its stop message
  std::optional<Lost> died_;        // the first rank mpirun saw die on a signal or exit improperly
  int exit_rank_ = -1;              // the rank mpirun says exited first with a non-zero status
  int exit_status_ = 0;             // and that status
  int improper_rank_ = -1;          // "exited due to process rank N ... on" (the node follows on the next line)
  bool host_lost_ = false;          // Open MPI lost a daemon or a rank's connection
  std::string lost_address_;        // the host mpirun or a rank's "Peer host:" names
  bool aborting_ = false;           // mpirun began ending the job for a failed rank it has not named yet
  bool aborting_first_ = false;     // ... before any host was lost (the lost host then followed from the abort)
  std::vector<int> answered_;       // ranks that wrote their whereabouts at mpirun's SIGTERM
  std::vector<int> waited_for_;     // ranks those were waiting for
};

}  // namespace spct::run
