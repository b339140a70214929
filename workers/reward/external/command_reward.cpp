#include "workers/reward/external/command_reward.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "workers/reward/external/reward_info.h"

extern char** environ;

namespace spct::reward {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<int64_t>(left, 1 << 30));
}

std::string shorten(const std::string& line) {
  return line.size() <= 200 ? line : line.substr(0, 200) + "... (" + std::to_string(line.size()) + " bytes)";
}

// Reads the child's stderr until it closes and logs every line as the reward's.
void forward_stderr(int fd, std::string name) {
  std::string buffer;
  char chunk[4096];
  while (true) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    buffer.append(chunk, static_cast<std::size_t>(n));
    for (std::size_t newline; (newline = buffer.find('\n')) != std::string::npos; buffer.erase(0, newline + 1)) {
      spdlog::info("reward {} (stderr): {}", name, buffer.substr(0, newline));
    }
  }
  if (!buffer.empty()) spdlog::info("reward {} (stderr): {}", name, buffer);
  ::close(fd);
}

}  // namespace

CommandReward::CommandReward(std::string name, std::string command, const ExternalOptions& options)
    : name_(std::move(name)), command_(std::move(command)), options_(options) {
  ::signal(SIGPIPE, SIG_IGN);
  const std::lock_guard lock(mutex_);
  start();
}

CommandReward::~CommandReward() {
  const std::lock_guard lock(mutex_);
  stop(/*kill=*/false);
}

int64_t CommandReward::starts() const {
  const std::lock_guard lock(mutex_);
  return starts_;
}

void CommandReward::start() {
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    throw UsageError("reward " + name_ + ": cannot create pipes: " + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  const std::string script = "exec " + command_;
  const char* argv[] = {"/bin/sh", "-c", script.c_str(), nullptr};
  const int spawned = ::posix_spawn(&pid_, "/bin/sh", &actions, nullptr, const_cast<char* const*>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  if (spawned != 0) {
    ::close(in[1]);
    ::close(out[0]);
    ::close(err[0]);
    pid_ = -1;
    throw UsageError("reward " + name_ + ": cannot start \"" + command_ + "\": " + std::strerror(spawned));
  }
  stdin_fd_ = in[1];
  stdout_fd_ = out[0];
  ::fcntl(stdin_fd_, F_SETFL, ::fcntl(stdin_fd_, F_GETFL) | O_NONBLOCK);
  pending_.clear();
  stderr_forwarder_ = std::thread(forward_stderr, err[0], name_);
  ++starts_;
}

void CommandReward::stop(bool kill) {
  if (stdin_fd_ >= 0) ::close(stdin_fd_);
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
  stdin_fd_ = stdout_fd_ = -1;
  if (pid_ < 0) {
    if (stderr_forwarder_.joinable()) stderr_forwarder_.join();
    return;
  }
  int status = 0;
  bool reaped = false;
  if (!kill) {
    // A well-behaved reward leaves at the end of its stdin.
    const Clock::time_point deadline = Clock::now() + std::chrono::seconds(2);
    while (!(reaped = ::waitpid(pid_, &status, WNOHANG) == pid_) && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  if (!reaped) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);  // SIGKILL cannot be caught: this returns at once
  }
  pid_ = -1;
  // The stderr pipe reaches its end once the process is gone (the command was exec'd, so nothing else holds it).
  if (stderr_forwarder_.joinable()) stderr_forwarder_.join();
}

void CommandReward::fail(const std::string& problem) {
  stop(/*kill=*/true);
  last_failure_ = problem;
  throw RewardFailure("reward " + name_ + " (command \"" + command_ + "\"): " + problem);
}

void CommandReward::died(const std::string& when, Clock::time_point deadline) {
  // The process closed its end of a pipe; it is normally leaving, so its exit status is worth waiting for, but
  // no longer than the exchange's deadline (a process that closed stdout and lives on is killed by fail()).
  int status = 0;
  pid_t reaped = 0;
  while ((reaped = ::waitpid(pid_, &status, WNOHANG)) == 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (reaped != pid_) fail("the process closed its stdin or stdout " + when);
  pid_ = -1;
  fail("the process " +
       (WIFSIGNALED(status) ? "was killed by signal " + std::to_string(WTERMSIG(status))
                            : "exited with status " + std::to_string(WEXITSTATUS(status))) +
       " " + when);
}

std::string CommandReward::exchange(const std::string& request, Clock::time_point deadline) {
  const auto timeout = [&](const char* doing) {
    fail("no answer within timeout_s=" + fmt::format("{:g}", options_.timeout_s) + " s (" + doing + ")");
  };
  for (std::size_t written = 0; written < request.size();) {
    pollfd fd{stdin_fd_, POLLOUT, 0};
    const int ready = ::poll(&fd, 1, remaining_ms(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) timeout("writing the request");
    const ssize_t n = ::write(stdin_fd_, request.data() + written, request.size() - written);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n < 0) died(std::string("while the request was written (") + std::strerror(errno) + ")", deadline);
    written += static_cast<std::size_t>(n);
  }
  while (true) {
    const std::size_t newline = pending_.find('\n');
    if (newline != std::string::npos) {
      std::string line = pending_.substr(0, newline);
      pending_.erase(0, newline + 1);
      return line;
    }
    pollfd fd{stdout_fd_, POLLIN, 0};
    const int ready = ::poll(&fd, 1, remaining_ms(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) timeout("reading the response");
    char chunk[65536];
    const ssize_t n = ::read(stdout_fd_, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      died("before answering" + (pending_.empty() ? std::string() : " (partial line: " + shorten(pending_) + ")"),
           deadline);
    }
    pending_.append(chunk, static_cast<std::size_t>(n));
  }
}

ExternalScores CommandReward::score(const ExternalGroup& group) {
  nlohmann::json metadata = {{"step", group.step},
                             {"prompt_id", group.prompt_id},
                             {"completion_tokens", group.completion_tokens},
                             {"truncated", group.truncated}};
  const nlohmann::json request = {{"prompt", group.prompt},
                                  {"completions", *group.completions},
                                  {"answer", group.answer},
                                  {"metadata", std::move(metadata)}};
  // Invalid UTF-8 in a completion is replaced rather than failing the group: the policy wrote it.
  const std::string line = request.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";

  const std::lock_guard lock(mutex_);
  if (pid_ < 0) {
    if (restarts_in_row_ >= options_.max_restarts) {
      throw RewardFailure("reward " + name_ + " (command \"" + command_ + "\"): restarted " +
                          std::to_string(restarts_in_row_) +
                          " times in a row without one answer (max_restarts=" + std::to_string(options_.max_restarts) +
                          "); not started again. The last failure: " + last_failure_);
    }
    ++restarts_in_row_;
    spdlog::warn("reward {}: restarting \"{}\" (restart {} in a row, at most {})", name_, command_, restarts_in_row_,
                 options_.max_restarts);
    start();
  }
  const Clock::time_point deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options_.timeout_s));
  const std::string answer = exchange(line, deadline);

  const nlohmann::json response = nlohmann::json::parse(answer, nullptr, /*allow_exceptions=*/false);
  const std::size_t n = group.completions->size();
  const auto bad = [&](const std::string& why) { fail("response line is " + why + ": " + shorten(answer)); };
  if (response.is_discarded()) bad("not JSON");
  if (!response.is_object() || !response.contains("scores") || !response["scores"].is_array()) {
    bad("not an object with a \"scores\" list");
  }
  const nlohmann::json& scores = response["scores"];
  if (scores.size() != n) {
    bad("holding " + std::to_string(scores.size()) + " scores for " + std::to_string(n) + " completions");
  }
  std::optional<std::vector<std::string>> info = info_texts(response, n);
  if (!info) bad("holding an \"info\" that is not a list of one entry per completion");
  ExternalScores out;
  out.info = std::move(*info);
  for (const nlohmann::json& score : scores) {
    if (!score.is_number() || !std::isfinite(score.get<double>())) bad("holding a score that is not a finite number");
    out.scores.push_back(score.get<double>());
  }
  restarts_in_row_ = 0;
  return out;
}

}  // namespace spct::reward
