// The exit codes of the spct binary. Schedulers and scripts act on these, so they are part of the interface
// and documented in docs/getting-started.md; never reuse a number for another meaning.
#pragma once

namespace spct {

enum class ExitCode : int {
  kOk = 0,
  kFailure = 1,        // a run failed for a reason not listed below (I/O error, internal error)
  kUsage = 2,          // bad command line or bad experiment config: nothing was started
  kBadInput = 3,       // a data, model or checkpoint file is malformed (the message names file and offset)
  kRankFailed = 4,     // a rank stalled past its deadline, died or threw; the job was aborted as a whole
  kCheckpointed = 75,  // stopped on a signal after writing a checkpoint: requeue me (EX_TEMPFAIL)
  kInterrupted = 130,  // a second SIGINT aborted at once, without a checkpoint
};

constexpr int to_int(ExitCode code) {
  return static_cast<int>(code);
}

}  // namespace spct
