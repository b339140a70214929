// The `command` reward kind: one long-lived subprocess per reward worker, asked for each group's scores over
// JSON lines (docs/rewards.md has the protocol):
//   request  (one line on its stdin):  {"prompt": str, "completions": [str], "answer": str,
//                                       "metadata": {"step", "prompt_id", "completion_tokens": [int],
//                                                    "truncated": [bool]}}
//   response (one line on its stdout): {"scores": [number, one per completion], "info": [any] (optional)}
// The command runs as `/bin/sh -c "exec COMMAND"` in spct's working directory, so quoting and $VARIABLES work
// and the program itself is the child. Its stderr is forwarded line by line to this worker's log, prefixed
// with the reward's name.
//
// Every exchange has a deadline (timeout_s: writing the request and reading the whole response line). When the
// process has died, passes the deadline or answers a line that is not a valid response, it is killed, the
// exchange throws RewardFailure naming the reward and the offending line, and the next exchange starts a fresh
// process. After max_restarts restarts in a row with no valid answer between them, the process is not started
// again and every exchange fails at once (a reward that cannot start or always crashes stops the run through
// the dropped-group share rather than restarting forever). SIGPIPE is ignored process-wide, so that a
// child that dies while a request is written is reported as a failure, not a crash.
//
// Thread safety: score() may be called from several threads; exchanges are serialised (one process).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "workers/reward/external/external_reward.h"

namespace spct::reward {

class CommandReward final : public ExternalReward {
 public:
  // Starts the process. Throws spct::UsageError when it cannot be started.
  CommandReward(std::string name, std::string command, const ExternalOptions& options);
  // Closes the process's stdin, waits up to 2 s for it to leave, then kills it.
  ~CommandReward() override;
  CommandReward(const CommandReward&) = delete;
  CommandReward& operator=(const CommandReward&) = delete;

  ExternalScores score(const ExternalGroup& group) override;

  // Processes started so far (1 + restarts), for tests and metrics.
  int64_t starts() const;

 private:
  using Clock = std::chrono::steady_clock;
  void start();          // REQUIRES: mutex_ held, no process running
  void stop(bool kill);  // REQUIRES: mutex_ held; reaps the process and its stderr thread
  std::string exchange(const std::string& request, Clock::time_point deadline);  // the response line
  [[noreturn]] void fail(const std::string& problem);  // stops the process, throws RewardFailure
  // The process closed a pipe `when`: fails with its exit status, once it has one (until `deadline`).
  [[noreturn]] void died(const std::string& when, Clock::time_point deadline);

  const std::string name_;
  const std::string command_;
  const ExternalOptions options_;
  mutable std::mutex mutex_;
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  std::string pending_;  // stdout bytes read past the last response line
  std::thread stderr_forwarder_;
  int64_t starts_ = 0;
  int64_t restarts_in_row_ = 0;  // restarts since the last valid answer
  std::string last_failure_;     // repeated once restarts are given up, so that the cause stays in view
};

}  // namespace spct::reward
