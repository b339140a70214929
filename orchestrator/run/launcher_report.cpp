#include "orchestrator/run/launcher_report.h"

#include <fmt/format.h>
#include <sys/wait.h>

#include <algorithm>
#include <regex>

#include "core/exit_codes.h"

namespace spct::run {
namespace {

bool search(std::string_view line, const std::regex& pattern, std::cmatch& match) {
  return std::regex_search(line.data(), line.data() + line.size(), match, pattern);
}

}  // namespace

void LauncherReport::read_line(std::string_view line) {
  static const std::regex abort_line(R"(aborting the job \(exit code (\d+)\))");
  static const std::regex whereabouts(R"(^spct: at SIG[A-Z0-9]+ rank (\d+) \(.* waiting [0-9.]+ s for )");
  static const std::regex rank_named(R"(rank (\d+) \()");
  // A row of the rank-layout table: rank, role, "node (hostname)", ...
  static const std::regex table_row(R"(^ *(\d+)  ([a-z][a-z ]*[a-z0-9]) +(\d+) \(([^)]+)\) )");
  static const std::regex signalled(
      R"(noticed that process rank (\d+) with PID \d+ on node (\S+) exited on signal (\d+)(?: \(([^)]*)\))?)");
  static const std::regex exited_name(R"(Process name: \[\[\d+,\d+\],(\d+)\])");
  static const std::regex exited_code(R"(Exit code: +(\d+))");
  static const std::regex improper(R"(has exited due to process rank (\d+) with PID \d+ on)");
  static const std::regex improper_node(R"(^node (\S+) exiting improperly)");
  static const std::regex lost_daemon(R"(Remote daemon: \[\[\d+,\d+\],\d+\] on node (\S+))");
  static const std::regex peer_host(R"(^ *Peer host: +(\S+))");
  std::cmatch m;
  if (search(line, abort_line, m)) {
    if (!abort_code_) abort_code_ = std::stoi(m[1].str());
  } else if (search(line, whereabouts, m)) {
    answered_.push_back(std::stoi(m[1].str()));
    // The ranks it waited for: "rank 4 (learner, host h3), rank 2 (...): <what it called>".
    std::string_view rest = line.substr(static_cast<size_t>(m.length(0)));
    rest = rest.substr(0, rest.find("): "));
    for (std::cregex_iterator it(rest.data(), rest.data() + rest.size(), rank_named), end; it != end; ++it) {
      waited_for_.push_back(std::stoi((*it)[1].str()));
    }
  } else if (line.rfind("spct: error: ", 0) == 0 || line.rfind("spct: internal error: ", 0) == 0 ||
             line.rfind("spct: stopped on ", 0) == 0) {
    explained_ = true;  // main()'s last words for an error of its own, or rank 0's after a checkpointed stop
  } else if (search(line, table_row, m)) {
    const auto rank = static_cast<size_t>(std::stoul(m[1].str()));
    if (rank < roles_.size()) {
      hosts_.resize(roles_.size());
      hosts_[rank] = m[4].str();
    }
  } else if (search(line, signalled, m)) {
    if (!died_) {
      const std::string signal_name = m[4].matched ? " (" + m[4].str() + ")" : "";
      died_ = Lost{std::stoi(m[1].str()), m[2].str(), "died on signal " + m[3].str() + signal_name};
    }
  } else if (search(line, exited_name, m)) {
    if (exit_rank_ < 0) exit_rank_ = std::stoi(m[1].str());
  } else if (search(line, exited_code, m)) {
    if (exit_rank_ >= 0 && exit_status_ == 0) exit_status_ = std::stoi(m[1].str());
  } else if (search(line, improper, m)) {
    improper_rank_ = std::stoi(m[1].str());
  } else if (search(line, improper_node, m)) {
    if (!died_ && improper_rank_ >= 0) {
      died_ = Lost{improper_rank_, m[1].str(), "exited without finishing MPI (a call to exit() or a return)"};
    }
  } else if (search(line, lost_daemon, m) || search(line, peer_host, m)) {
    host_lost_ = true;
    if (lost_address_.empty()) lost_address_ = m[1].str();
  } else if (line.find("Per user-direction, the job has been aborted") != std::string_view::npos) {
    if (!aborting_ && !host_lost_) aborting_first_ = true;
    aborting_ = true;
  } else if (line.find("ORTE was unable to reliably start one or more daemons") != std::string_view::npos ||
             line.find("An ORTE daemon has unexpectedly failed") != std::string_view::npos) {
    host_lost_ = true;
  }
}

std::string LauncherReport::host_of(int rank) const {
  const auto r = static_cast<size_t>(rank);
  return rank >= 0 && r < hosts_.size() ? hosts_[r] : std::string();
}

std::string LauncherReport::name(int rank, const std::string& host) const {
  const auto r = static_cast<size_t>(rank);
  const std::string role = rank >= 0 && r < roles_.size() ? roles_[r] : "a rank the layout does not have";
  const std::string known = host_of(rank);
  return fmt::format("rank {} ({}, host {})", rank, role, known.empty() ? (host.empty() ? "unknown" : host) : known);
}

std::vector<int> LauncherReport::ranks_on_lost_host() const {
  const auto answered = [&](int rank) {
    return std::find(answered_.begin(), answered_.end(), rank) != answered_.end();
  };
  // A host where some rank answered mpirun's SIGTERM is alive (when the table says where ranks run).
  const auto host_answered = [&](int rank) {
    const std::string host = host_of(rank);
    if (host.empty()) return false;
    return std::any_of(answered_.begin(), answered_.end(), [&](int other) { return host_of(other) == host; });
  };
  std::vector<int> lost;
  for (const int rank : waited_for_) {
    if (!answered(rank) && !host_answered(rank) && std::find(lost.begin(), lost.end(), rank) == lost.end()) {
      lost.push_back(rank);
    }
  }
  std::sort(lost.begin(), lost.end());
  return lost;
}

std::vector<int> LauncherReport::unanswered() const {
  std::vector<int> ranks;
  for (int rank = 0; static_cast<size_t>(rank) < roles_.size(); ++rank) {
    if (std::find(answered_.begin(), answered_.end(), rank) == answered_.end()) ranks.push_back(rank);
  }
  return ranks;
}

std::string LauncherReport::lost() const {
  if (died_) return name(died_->rank, died_->host) + " " + died_->how;
  if (exit_rank_ >= 0) {
    return fmt::format("{} exited with status {} on its own, without a report from spct", name(exit_rank_, ""),
                       exit_status_);
  }
  // A host lost during an abort a failed rank began (a frozen host's daemon declared lost while mpirun waits for
  // it) is not the cause: the abort's unanswered ranks below include that host's.
  if (host_lost_ && !aborting_first_) {
    std::vector<std::string> ranks;
    for (const int rank : ranks_on_lost_host()) ranks.push_back(name(rank, ""));
    const std::string where = lost_address_.empty() ? "a host" : "host " + lost_address_;
    if (ranks.empty()) {
      return fmt::format("Open MPI lost {} (the host died, was killed or its network is down; its messages above)",
                         where);
    }
    return fmt::format(
        "Open MPI lost {} (the host died, was killed or its network is down): the surviving ranks "
        "were waiting for {}, from which none answered",
        where, fmt::join(ranks, ", "));
  }
  if (aborting_) {
    // mpirun names the failed rank only at the end of its abort. Until then, the ranks it could still reach
    // answered its SIGTERM with their whereabouts: the failed rank is among those that did not.
    const std::string what = "a rank failed and Open MPI began ending the job without naming it";
    if (answered_.empty()) return what + " (no rank's answer to mpirun's SIGTERM reached spct)";
    std::vector<std::string> ranks;
    for (const int rank : unanswered()) ranks.push_back(name(rank, ""));
    return fmt::format(
        "{}: it is among the ranks that did not answer mpirun's SIGTERM (dead, or on a host "
        "mpirun cannot reach): {}",
        what, fmt::join(ranks, ", "));
  }
  return "";
}

LauncherReport::Verdict LauncherReport::verdict(int wait_status, bool stop_forwarded) const {
  const bool exited = WIFEXITED(wait_status);
  const int status = exited ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
  if (exited && status == 0) return {0, ""};
  // Stopped on purpose: the ranks' 75 (checkpointed) or 130, or whatever mpirun's teardown made of them.
  if (stop_forwarded) return {status, ""};
  if (abort_code_) return {*abort_code_, ""};
  const int failed = to_int(ExitCode::kRankFailed);
  const std::string ended = "; the job was ended (exit code 4)";
  if (died_) return {failed, lost() + ended};
  if (exit_rank_ >= 0) {
    if (explained_) return {exit_status_ != 0 ? exit_status_ : status, ""};
    return {failed, lost() + ended};
  }
  if (host_lost_) return {failed, lost() + ended};
  if (explained_) return {status, ""};
  if (aborting_) return {failed, lost() + ended};
  if (!exited) return {status, fmt::format("mpirun died on signal {}", WTERMSIG(wait_status))};
  return {status, fmt::format("mpirun ended with status {} without a report from any rank (its messages above say "
                              "why)",
                              status)};
}

}  // namespace spct::run
