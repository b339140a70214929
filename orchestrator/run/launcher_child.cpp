#include "orchestrator/run/launcher_child.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>

#include "core/error.h"
#include "orchestrator/run/launcher_report.h"

namespace spct::run {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kPassedOn[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

std::atomic<pid_t> launcher_pid{0};
std::atomic<int> stop_signal{0};

extern "C" void pass_on(int signal_number, siginfo_t* info, void* /*context*/) {
  stop_signal.store(signal_number);
  // SI_KERNEL: the terminal sent it (Ctrl-C) to the whole foreground process group, mpirun included.
  if (info != nullptr && info->si_code == SI_KERNEL) return;
  const pid_t pid = launcher_pid.load();
  if (pid > 0) kill(pid, signal_number);
}

void write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // stderr closed: the output is lost, the job goes on
    data += n;
    size -= static_cast<size_t>(n);
  }
}

void say(const std::string& line) {
  const std::string text = "spct: " + line + "\n";
  write_all(STDERR_FILENO, text.data(), text.size());
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The child's side of the fork: stderr into `err_write`, mpirun's errno on `exec_errors` if execvp fails.
[[noreturn]] void exec_child(const std::vector<std::string>& command, pid_t parent, int err_write, int exec_errors) {
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) _exit(127);  // spct died before the line above
  dup2(err_write, STDERR_FILENO);
  signal(SIGPIPE, SIG_DFL);
  std::vector<char*> argv;
  argv.reserve(command.size() + 1);
  for (const std::string& arg : command) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  execvp(argv[0], argv.data());
  const int error = errno;
  [[maybe_unused]] const ssize_t n = write(exec_errors, &error, sizeof(error));
  _exit(127);
}

// An mpirun that spct had to end leaves its session directory behind (8 MB of PMIx shared-memory files each
// time, measured), which a clean exit removes. Open MPI 4.1 puts it at <base>/ompi.<host>.<uid>/pid.<mpirun's
// pid> (orte/util/session_dir.c), <base> being orte_tmpdir_base or else TMPDIR, TEMP, TMP or /tmp, <host> the
// host name without its domain. mpirun is spct's child, so it ran on this host.
void remove_session_directory(pid_t pid) {
  const char* base = nullptr;
  for (const char* name : {"OMPI_MCA_orte_tmpdir_base", "TMPDIR", "TEMP", "TMP"}) {
    base = std::getenv(name);
    if (base != nullptr && *base != '\0') break;
    base = nullptr;
  }
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) return;
  std::string node(host);
  node = node.substr(0, node.find('.'));
  const std::filesystem::path dir = std::filesystem::path(base != nullptr ? base : "/tmp") /
                                    fmt::format("ompi.{}.{}", node, getuid()) / fmt::format("pid.{}", pid);
  std::error_code error;
  if (std::filesystem::is_directory(dir, error)) std::filesystem::remove_all(dir, error);
}

}  // namespace

LauncherResult run_launcher(const std::vector<std::string>& command, const std::vector<std::string>& roles,
                            const LauncherLimits& limits) {
  int err_pipe[2];
  int exec_pipe[2];
  if (pipe2(err_pipe, O_CLOEXEC) != 0 || pipe2(exec_pipe, O_CLOEXEC) != 0) {
    throw Error(ExitCode::kFailure, std::string("cannot start mpirun: pipe: ") + std::strerror(errno));
  }
  // Installed before the fork, so that no stop signal is lost between the two; one that comes before
  // launcher_pid is set is passed on by the loop below.
  struct sigaction action {};
  action.sa_sigaction = pass_on;
  action.sa_flags = SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  for (const int s : kPassedOn) sigaction(s, &action, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a closed stderr must not end spct while mpirun runs

  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) throw Error(ExitCode::kFailure, std::string("cannot start mpirun: fork: ") + std::strerror(errno));
  if (pid == 0) exec_child(command, parent, err_pipe[1], exec_pipe[1]);
  close(err_pipe[1]);
  close(exec_pipe[1]);
  int exec_error = 0;
  const ssize_t got = read(exec_pipe[0], &exec_error, sizeof(exec_error));
  close(exec_pipe[0]);
  if (got == sizeof(exec_error)) {
    close(err_pipe[0]);
    waitpid(pid, nullptr, 0);
    throw Error(ExitCode::kFailure,
                "cannot start " + command.front() + ": " + std::strerror(exec_error) +
                    (exec_error == ENOENT ? " (install openmpi-bin: scripts/install-deps.sh)" : ""));
  }
  launcher_pid.store(pid);
  if (const int early = stop_signal.load(); early != 0) kill(pid, early);

  LauncherReport report(roles);
  std::string partial;
  int err_fd = err_pipe[0];
  int wait_status = 0;
  bool reaped = false;
  std::optional<Clock::time_point> reaped_at;
  std::optional<Clock::time_point> failing_since;
  std::optional<Clock::time_point> terminated_at;
  bool killed = false;
  char buffer[65536];
  while (!reaped || err_fd >= 0) {
    if (err_fd >= 0) {
      pollfd poll_fd{err_fd, POLLIN, 0};
      const int ready = poll(&poll_fd, 1, 100);
      if (ready > 0) {
        const ssize_t n = read(err_fd, buffer, sizeof(buffer));
        if (n > 0) {
          write_all(STDERR_FILENO, buffer, static_cast<size_t>(n));
          partial.append(buffer, static_cast<size_t>(n));
          size_t start = 0;
          for (size_t end = partial.find('\n'); end != std::string::npos; end = partial.find('\n', start)) {
            report.read_line(std::string_view(partial).substr(start, end - start));
            start = end + 1;
          }
          partial.erase(0, start);
        } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
          close(err_fd);
          err_fd = -1;
        }
      }
    } else {
      usleep(100 * 1000);
    }
    if (!reaped) {
      const pid_t done = waitpid(pid, &wait_status, WNOHANG);
      if (done == pid) {
        reaped = true;
        reaped_at = Clock::now();
        launcher_pid.store(0);
      }
    }
    // mpirun's remote daemons may hold its stderr open after it ended (a frozen host's): a second is enough for
    // what mpirun itself wrote.
    if (reaped && err_fd >= 0 && seconds_since(*reaped_at) > 1) {
      close(err_fd);
      err_fd = -1;
    }
    if (reaped) continue;
    if (!failing_since && report.job_failing()) failing_since = Clock::now();
    if (failing_since && !terminated_at && seconds_since(*failing_since) > limits.teardown_s) {
      say(fmt::format("mpirun still runs {:g} s after {}; ending it (SIGTERM, SIGKILL {:g} s later)", limits.teardown_s,
                      report.lost().empty() ? "a rank aborted the job" : report.lost(), limits.kill_grace_s));
      kill(pid, SIGTERM);
      terminated_at = Clock::now();
    }
    if (terminated_at && !killed && seconds_since(*terminated_at) > limits.kill_grace_s) {
      say(fmt::format("mpirun did not end {:g} s after SIGTERM; killed it (SIGKILL)", limits.kill_grace_s));
      kill(pid, SIGKILL);
      killed = true;
    }
  }
  if (!partial.empty()) report.read_line(partial);
  if (terminated_at && WIFSIGNALED(wait_status)) remove_session_directory(pid);
  for (const int s : kPassedOn) signal(s, SIG_DFL);
  const LauncherReport::Verdict verdict = report.verdict(wait_status, stop_signal.load() != 0);
  return {verdict.code, verdict.message};
}

}  // namespace spct::run
