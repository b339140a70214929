#include "core/comm/stall_detector.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>

#include "core/comm/mpi_check.h"
#include "core/exit_codes.h"
#include "core/whereabouts.h"

namespace spct::comm {

namespace {

// Probe and reply payloads, little-endian as the machine writes them (every rank runs the same build):
//   probe: u32 probe number, f64 seconds the prober waited, string its phase
//   reply: u32 probe number, string phase, f64 seconds waited so far, f64 seconds not running during the
//          prober's wait, u32 n, n x i32 world ranks waited for, string what for (n = 0: not waiting)
// A string is a u32 length and its bytes.
class Writer {
 public:
  template <class T>
  Writer& put(T value) {
    const size_t at = bytes_.size();
    bytes_.resize(at + sizeof value);
    std::memcpy(bytes_.data() + at, &value, sizeof value);
    return *this;
  }
  Writer& put(const std::string& text) {
    put(static_cast<uint32_t>(text.size()));
    bytes_.insert(bytes_.end(), text.begin(), text.end());
    return *this;
  }
  std::vector<uint8_t> take() { return std::move(bytes_); }

 private:
  std::vector<uint8_t> bytes_;
};

// Reads what Writer wrote; a short or corrupt payload reads as zeros and empty strings (a report is still
// written from what arrived).
class Reader {
 public:
  explicit Reader(const std::vector<uint8_t>& bytes) : bytes_(bytes) {}
  template <class T>
  T get() {
    T value{};
    if (at_ + sizeof value <= bytes_.size()) std::memcpy(&value, bytes_.data() + at_, sizeof value);
    at_ += sizeof value;
    return value;
  }
  std::string get_string() {
    const auto size = get<uint32_t>();
    if (at_ + size > bytes_.size()) return {};
    std::string text(bytes_.begin() + static_cast<std::ptrdiff_t>(at_),
                     bytes_.begin() + static_cast<std::ptrdiff_t>(at_ + size));
    at_ += size;
    return text;
  }

 private:
  const std::vector<uint8_t>& bytes_;
  size_t at_ = 0;
};

// What a rank answered to a probe.
struct Answer {
  std::string phase;
  double waited_s = 0;
  double unscheduled_s = 0;
  std::vector<int> waits_for;
  std::string what;
};

// Receives a control message that MPI_Improbe matched. Control messages are a few bytes, sent eagerly: once
// matched they are here, so the blocking receive cannot wait on anyone.
std::vector<uint8_t> receive_matched(MPI_Message& message, const MPI_Status& status) {
  int count = 0;
  SPCT_MPI_CHECK(MPI_Get_count(&status, MPI_BYTE, &count));
  std::vector<uint8_t> bytes(static_cast<size_t>(count));
  SPCT_MPI_CHECK(MPI_Mrecv(bytes.data(), count, MPI_BYTE, &message, MPI_STATUS_IGNORE));
  return bytes;
}

// "rank 4 (learner, host n3): <what>", for the whereabouts a SIGTERM handler writes (core/whereabouts.h): the
// ranks `self` waits for (a collective lists every member), a few by name and the rest counted.
std::string describe_wait(const RankLayout& layout, int self, const std::vector<int>& expected,
                          const std::string& what) {
  constexpr size_t kNamed = 8;
  std::vector<std::string> names;
  size_t others = 0;
  for (const int r : expected) {
    if (r == self) continue;
    if (++others > kNamed) continue;
    if (r < 0 || r >= layout.world_size()) {
      names.push_back(layout.describe(r));
      continue;
    }
    const RankPlacement& p = layout.at(r);
    names.push_back(fmt::format("rank {} ({}, host {})", r, role_name(p.role), p.hostname));
  }
  const std::string more = others > kNamed ? fmt::format(" and {} more", others - kNamed) : "";
  return fmt::format("{}{}: {}", fmt::join(names, ", "), more, what);
}

double seconds_since(Deadline::Clock::time_point since) {
  return std::chrono::duration<double>(Deadline::Clock::now() - since).count();
}

}  // namespace

class StallDetector::WaitScope {
 public:
  WaitScope(StallDetector& detector, const std::vector<int>& expected, const std::string& what)
      : detector_(detector), previous_(detector.current_wait_) {
    if (previous_) return;
    detector_.current_wait_ = CurrentWait{expected, what, Deadline::Clock::now()};
    set_whereabouts_wait(describe_wait(detector.state().layout(), detector.state().rank(), expected, what));
  }
  ~WaitScope() {
    detector_.current_wait_ = previous_;
    if (!previous_) clear_whereabouts_wait();
  }
  WaitScope(const WaitScope&) = delete;
  WaitScope& operator=(const WaitScope&) = delete;

 private:
  StallDetector& detector_;
  const std::optional<CurrentWait> previous_;
};

StallDetector::StallDetector(RankState& state) : state_(state) {
  SPCT_MPI_CHECK(MPI_Comm_dup(MPI_COMM_WORLD, &control_));
}

StallDetector::~StallDetector() {
  // Replies still in flight are tiny eager sends that completed locally; cancel any that did not, so the
  // communicator can be freed. Errors are ignored here: a destructor cannot report them and the job is ending.
  for (Outgoing& out : outgoing_) {
    int done = 0;
    MPI_Test(&out.request, &done, MPI_STATUS_IGNORE);
    if (!done) {
      MPI_Cancel(&out.request);
      MPI_Request_free(&out.request);
    }
  }
  if (control_ != MPI_COMM_NULL) MPI_Comm_free(&control_);
}

void StallDetector::send_control(int dest, int tag, std::vector<uint8_t> bytes) {
  Outgoing& out = outgoing_.emplace_back(Outgoing{std::move(bytes), MPI_REQUEST_NULL});
  SPCT_MPI_CHECK(
      MPI_Isend(out.bytes.data(), static_cast<int>(out.bytes.size()), MPI_BYTE, dest, tag, control_, &out.request));
}

void StallDetector::poll() {
  while (true) {
    int found = 0;
    MPI_Message message = MPI_MESSAGE_NULL;
    MPI_Status status;
    SPCT_MPI_CHECK(MPI_Improbe(MPI_ANY_SOURCE, kProbeTag, control_, &found, &message, &status));
    if (!found) break;
    const std::vector<uint8_t> bytes = receive_matched(message, status);
    Reader probe(bytes);
    const auto number = probe.get<uint32_t>();
    const auto their_wait_s = probe.get<double>();
    const std::string their_phase = probe.get_string();
    spdlog::warn("{} was probed by {} (which waits in phase '{}'); answering from phase '{}'", state_.describe(),
                 state_.layout().describe(status.MPI_SOURCE), their_phase, state_.phase());
    Writer reply;
    reply.put(number).put(state_.phase());
    reply.put(current_wait_ ? seconds_since(current_wait_->since) : 0.0);
    reply.put(suspension_.unscheduled_s(their_wait_s));
    const std::vector<int> none;
    const std::vector<int>& waits_for = current_wait_ ? current_wait_->expected : none;
    reply.put(static_cast<uint32_t>(waits_for.size()));
    for (int r : waits_for) reply.put(static_cast<int32_t>(r));
    reply.put(current_wait_ ? current_wait_->what : std::string());
    send_control(status.MPI_SOURCE, kReplyTag, reply.take());
  }
  // Forget replies that have left.
  std::erase_if(outgoing_, [](Outgoing& out) {
    int done = 0;
    SPCT_MPI_CHECK(MPI_Test(&out.request, &done, MPI_STATUS_IGNORE));
    return done != 0;
  });
}

void StallDetector::wait(const std::function<bool()>& done, const std::vector<int>& expected, const std::string& what,
                         const std::function<void()>& before_abort, const std::optional<Deadline>& started) {
  const Deadline deadline = started.value_or(this->deadline());
  const WaitScope scope(*this, expected, what);
  const double heartbeat_s = state_.timeouts().heartbeat_s;
  Deadline next_heartbeat = Deadline::after(heartbeat_s);
  const auto on_idle = [&] {
    poll();
    if (next_heartbeat.expired()) {
      spdlog::debug("{} still waiting in phase '{}' for {} ({:.0f} s of {:g} s)", state_.describe(), state_.phase(),
                    what, deadline.budget_s() - deadline.remaining_s(), deadline.budget_s());
      next_heartbeat = Deadline::after(heartbeat_s);
    }
  };
  if (wait_until(deadline, done, on_idle)) return;
  const std::string report = inspect(expected, what, deadline.budget_s());
  if (before_abort) before_abort();
  abort_job(report);
}

std::string StallDetector::inspect(const std::vector<int>& expected, const std::string& what, double waited_s) {
  const WaitScope scope(*this, expected, what);
  const int self = state_.rank();
  const uint32_t probe = ++probes_sent_;
  int world_size = 0;
  SPCT_MPI_CHECK(MPI_Comm_size(control_, &world_size));
  for (int r = 0; r < world_size; ++r) {
    if (r != self) send_control(r, kProbeTag, Writer().put(probe).put(waited_s).put(state_.phase()).take());
  }

  // The chain of waits from this rank: who waits for whom. `waiter_of[r]` is the first rank found waiting for r.
  std::map<int, Answer> answered;
  std::map<int, int> waiter_of;
  std::vector<int> chain;  // ranks reached, in the order they were reached
  std::function<void(int, const std::vector<int>&)> reach = [&](int waiter, const std::vector<int>& ranks) {
    for (int r : ranks) {
      if (r == self || r < 0 || r >= world_size || waiter_of.count(r) != 0) continue;
      waiter_of[r] = waiter;
      chain.push_back(r);
      if (const auto it = answered.find(r); it != answered.end()) reach(r, it->second.waits_for);
    }
  };
  reach(self, expected);
  const auto all_answered = [&] {
    return std::all_of(chain.begin(), chain.end(), [&](int r) { return answered.count(r) != 0; });
  };
  // Collect answers for the grace period, answering other inspectors meanwhile (they may be waiting on us).
  const auto collect = [&] {
    while (true) {
      int found = 0;
      MPI_Message message = MPI_MESSAGE_NULL;
      MPI_Status status;
      SPCT_MPI_CHECK(MPI_Improbe(MPI_ANY_SOURCE, kReplyTag, control_, &found, &message, &status));
      if (!found) break;
      const std::vector<uint8_t> bytes = receive_matched(message, status);
      Reader reply(bytes);
      if (reply.get<uint32_t>() != probe) continue;  // an answer to an earlier probe
      Answer answer;
      answer.phase = reply.get_string();
      answer.waited_s = reply.get<double>();
      answer.unscheduled_s = reply.get<double>();
      const auto count = std::min<uint32_t>(reply.get<uint32_t>(), static_cast<uint32_t>(world_size));
      for (uint32_t i = 0; i < count; ++i) answer.waits_for.push_back(reply.get<int32_t>());
      answer.what = reply.get_string();
      const int source = status.MPI_SOURCE;
      answered[source] = std::move(answer);
      if (waiter_of.count(source) != 0) reach(source, answered[source].waits_for);
    }
    return all_answered();
  };
  wait_until(Deadline::after(std::min(state_.timeouts().heartbeat_s, 2.0)), collect, [this] { poll(); });

  const RankLayout& layout = state_.layout();
  const auto name = [&](int r) {
    if (r < 0 || r >= layout.world_size()) return layout.describe(r);
    const RankPlacement& p = layout.at(r);
    return fmt::format("rank {} ({}, host {})", r, role_name(p.role), p.hostname);
  };
  // How rank `waiter` waits for something, for the chain in the report.
  const auto waits = [&](int waiter) {
    if (waiter == self) {
      return fmt::format("{} waited {:g} s in phase '{}' for {}", state_.describe(), waited_s, state_.phase(), what);
    }
    const Answer& a = answered.at(waiter);
    return fmt::format("{} waits in phase '{}' for {} ({:.1f} s so far)", layout.describe(waiter), a.phase, a.what,
                       a.waited_s);
  };
  const auto phase_of = [&](int waiter) { return waiter == self ? state_.phase() : answered.at(waiter).phase; };
  // The waits from this rank down to `r`'s waiter, innermost first.
  const auto path_to = [&](int r) {
    std::vector<std::string> steps;
    for (int w = waiter_of.at(r); true; w = waiter_of.at(w)) {
      steps.push_back(waits(w));
      if (w == self) break;
    }
    return fmt::format("{}", fmt::join(steps, "; "));
  };

  // This rank did not run for most of its own wait: the deadline passed while it was stopped, so it cannot
  // tell who was late.
  const double own_unscheduled_s = suspension_.unscheduled_s(waited_s);
  if (own_unscheduled_s >= std::max(kSuspendedS, waited_s / 2)) {
    return fmt::format(
        "{} was not running for {:.1f} s of its {:g} s wait in phase '{}' for {} (the process was stopped, e.g. "
        "by SIGSTOP, or starved of CPU): the deadline passed while it was suspended",
        name(self), own_unscheduled_s, waited_s, state_.phase(), what);
  }

  std::vector<std::string> causes;
  std::vector<std::string> elsewhere;
  for (int r : chain) {
    const auto it = answered.find(r);
    const int waiter = waiter_of.at(r);
    if (it == answered.end()) {
      const std::string within = waiter == self ? fmt::format(" within {:g} s", waited_s) : "";
      causes.push_back(
          fmt::format("{} did not arrive in phase '{}'{}: {}", name(r), phase_of(waiter), within, path_to(r)));
    } else if (it->second.unscheduled_s >= kSuspendedS) {
      causes.push_back(fmt::format(
          "{} was not running for {:.1f} s in phase '{}' (the process was stopped, e.g. by SIGSTOP, or starved of "
          "CPU): {}",
          name(r), it->second.unscheduled_s, it->second.phase, path_to(r)));
    } else if (it->second.phase != phase_of(waiter)) {
      elsewhere.push_back(fmt::format("{} is waiting in phase '{}'", layout.describe(r), it->second.phase));
    }
  }
  // The ranks on the way to a cause answered from their own phases: the report's chain already says where.
  if (!causes.empty()) return fmt::format("{}", fmt::join(causes, "; and "));

  std::string report =
      fmt::format("{} waited {:g} s in phase '{}' for {}: ", state_.describe(), waited_s, state_.phase(), what);
  if (elsewhere.empty()) {
    std::vector<std::string> waiting;
    waiting.reserve(chain.size());
    for (int r : chain) waiting.push_back(waits(r));
    report += fmt::format(
        "every rank it waits for answered: {}, so the ranks called operations that do not match (a different order "
        "or different arguments)",
        fmt::join(waiting, "; "));
  } else {
    report += fmt::format("{}", fmt::join(elsewhere, "; "));
  }
  return report;
}

void abort_job(const std::string& message) {
  spdlog::error("{}; aborting the job (exit code 4)", message);
  spdlog::default_logger()->flush();
  int initialized = 0;
  int finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  // MPI_Abort only returns if it fails; there is nothing left to report then, so end this process at least.
  if (initialized && !finalized) MPI_Abort(MPI_COMM_WORLD, to_int(ExitCode::kRankFailed));
  std::_Exit(to_int(ExitCode::kRankFailed));
}

}  // namespace spct::comm
