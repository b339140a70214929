#include "orchestrator/pipeline/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>

#include "core/error.h"

extern char** environ;

namespace spct::pipeline {
namespace {

// The child a signal handler passes signals on to; a handler may read only lock-free atomics like this one.
volatile std::sig_atomic_t forward_to_pid = 0;

void forward_signal(int signal_number) {
  if (forward_to_pid > 0) kill(static_cast<pid_t>(forward_to_pid), signal_number);
}

std::string command_name(const std::vector<std::string>& argv) {
  return argv.empty() ? std::string("<empty command>") : argv.front();
}

std::vector<char*> c_argv(const std::vector<std::string>& argv) {
  std::vector<char*> out;
  out.reserve(argv.size() + 1);
  for (const std::string& arg : argv) out.push_back(const_cast<char*>(arg.c_str()));
  out.push_back(nullptr);
  return out;
}

pid_t spawn(const std::vector<std::string>& argv, const posix_spawn_file_actions_t* actions) {
  if (argv.empty()) throw Error(ExitCode::kFailure, "cannot run an empty command");
  std::vector<char*> args = c_argv(argv);
  pid_t pid = 0;
  const int error = posix_spawnp(&pid, args[0], actions, nullptr, args.data(), environ);
  if (error != 0) {
    throw Error(ExitCode::kFailure, "cannot start " + command_name(argv) + ": " + std::strerror(error));
  }
  return pid;
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

int wait_for(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw Error(ExitCode::kFailure, std::string("waitpid: ") + std::strerror(errno));
  }
  return exit_code_of(status);
}

// Restores the signal dispositions it replaced when it goes out of scope.
class ForwardSignals {
 public:
  explicit ForwardSignals(pid_t child) {
    forward_to_pid = child;
    struct sigaction forward = {};
    forward.sa_handler = forward_signal;
    sigemptyset(&forward.sa_mask);
    forward.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &forward, &old_term_);
    sigaction(SIGUSR1, &forward, &old_usr1_);
    struct sigaction ignore = {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGINT, &ignore, &old_int_);
  }
  ~ForwardSignals() {
    sigaction(SIGTERM, &old_term_, nullptr);
    sigaction(SIGUSR1, &old_usr1_, nullptr);
    sigaction(SIGINT, &old_int_, nullptr);
    forward_to_pid = 0;
  }
  ForwardSignals(const ForwardSignals&) = delete;
  ForwardSignals& operator=(const ForwardSignals&) = delete;

 private:
  struct sigaction old_term_ = {};
  struct sigaction old_usr1_ = {};
  struct sigaction old_int_ = {};
};

// Closes both ends of a pipe it owns.
class Pipe {
 public:
  Pipe() {
    if (pipe2(fds_, O_CLOEXEC) != 0) throw Error(ExitCode::kFailure, std::string("pipe: ") + std::strerror(errno));
  }
  ~Pipe() {
    close_read();
    close_write();
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  int read_end() const { return fds_[0]; }
  int write_end() const { return fds_[1]; }
  void close_read() { close_fd(fds_[0]); }
  void close_write() { close_fd(fds_[1]); }

 private:
  static void close_fd(int& fd) {
    if (fd >= 0) close(fd);
    fd = -1;
  }
  int fds_[2] = {-1, -1};
};

}  // namespace

int run_stage_process(const std::vector<std::string>& argv) {
  const pid_t pid = spawn(argv, nullptr);
  const ForwardSignals forwarding(pid);
  return wait_for(pid);
}

CapturedRun run_captured(const std::vector<std::string>& argv, double deadline_s) {
  Pipe out;
  Pipe err;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out.write_end(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err.write_end(), STDERR_FILENO);
  pid_t pid = 0;
  try {
    pid = spawn(argv, &actions);
  } catch (...) {
    posix_spawn_file_actions_destroy(&actions);
    throw;
  }
  posix_spawn_file_actions_destroy(&actions);
  out.close_write();
  err.close_write();

  CapturedRun run;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(deadline_s);
  pollfd fds[2] = {{out.read_end(), POLLIN, 0}, {err.read_end(), POLLIN, 0}};
  std::string* sinks[2] = {&run.output, &run.errors};
  int open_streams = 2;
  while (open_streams > 0) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      kill(pid, SIGKILL);
      wait_for(pid);
      throw Error(ExitCode::kFailure, command_name(argv) + " did not finish within " +
                                          std::to_string(static_cast<int>(deadline_s)) + " s; killed it");
    }
    if (poll(fds, 2, static_cast<int>(left.count())) < 0 && errno != EINTR) {
      throw Error(ExitCode::kFailure, std::string("poll: ") + std::strerror(errno));
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buffer[4096];
      const ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;  // end of stream (poll ignores negative descriptors)
        --open_streams;
      }
    }
  }
  // Both streams ended; the process normally exits at once, but it may have passed them on to a descendant.
  while (true) {
    int status = 0;
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      run.exit_code = exit_code_of(status);
      return run;
    }
    if (done < 0 && errno != EINTR) throw Error(ExitCode::kFailure, std::string("waitpid: ") + std::strerror(errno));
    if (std::chrono::steady_clock::now() >= deadline) {
      kill(pid, SIGKILL);
      wait_for(pid);
      throw Error(ExitCode::kFailure, command_name(argv) + " did not exit within " +
                                          std::to_string(static_cast<int>(deadline_s)) + " s; killed it");
    }
    usleep(10000);
  }
}

}  // namespace spct::pipeline
