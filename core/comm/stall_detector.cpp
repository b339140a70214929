#include "core/comm/stall_detector.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>

#include "core/comm/mpi_check.h"
#include "core/exit_codes.h"

namespace spct::comm {

namespace {

// Probe and reply payloads: a u32 probe number, then the sender's phase name.
std::vector<uint8_t> pack(uint32_t probe, const std::string& phase) {
  std::vector<uint8_t> bytes(sizeof probe + phase.size());
  std::memcpy(bytes.data(), &probe, sizeof probe);
  std::memcpy(bytes.data() + sizeof probe, phase.data(), phase.size());
  return bytes;
}

std::pair<uint32_t, std::string> unpack(const std::vector<uint8_t>& bytes) {
  uint32_t probe = 0;
  if (bytes.size() < sizeof probe) return {0, "?"};
  std::memcpy(&probe, bytes.data(), sizeof probe);
  return {probe, std::string(bytes.begin() + sizeof probe, bytes.end())};
}

// Receives a control message that MPI_Improbe matched. Control messages are a few bytes, sent eagerly: once
// matched they are here, so the blocking receive cannot wait on anyone.
std::vector<uint8_t> receive_matched(MPI_Message& message, const MPI_Status& status) {
  int count = 0;
  SPCT_MPI_CHECK(MPI_Get_count(&status, MPI_BYTE, &count));
  std::vector<uint8_t> bytes(static_cast<size_t>(count));
  SPCT_MPI_CHECK(MPI_Mrecv(bytes.data(), count, MPI_BYTE, &message, MPI_STATUS_IGNORE));
  return bytes;
}

}  // namespace

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
    const auto [probe, their_phase] = unpack(receive_matched(message, status));
    spdlog::warn("{} was probed by {} (which waits in phase '{}'); answering from phase '{}'", state_.describe(),
                 state_.layout().describe(status.MPI_SOURCE), their_phase, state_.phase());
    send_control(status.MPI_SOURCE, kReplyTag, pack(probe, state_.phase()));
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
  const uint32_t probe = ++probes_sent_;
  int world_size = 0;
  SPCT_MPI_CHECK(MPI_Comm_size(control_, &world_size));
  for (int r = 0; r < world_size; ++r) {
    if (r != state_.rank()) send_control(r, kProbeTag, pack(probe, state_.phase()));
  }

  // Collect answers for the grace period, answering other inspectors meanwhile (they may be waiting on us).
  std::map<int, std::string> answered;  // world rank -> its phase
  const auto all_answered = [&] {
    return std::all_of(expected.begin(), expected.end(),
                       [&](int r) { return r == state_.rank() || answered.count(r) != 0; });
  };
  const auto collect = [&] {
    while (true) {
      int found = 0;
      MPI_Message message = MPI_MESSAGE_NULL;
      MPI_Status status;
      SPCT_MPI_CHECK(MPI_Improbe(MPI_ANY_SOURCE, kReplyTag, control_, &found, &message, &status));
      if (!found) break;
      auto [reply_to, phase] = unpack(receive_matched(message, status));
      if (reply_to == probe) answered[status.MPI_SOURCE] = std::move(phase);
    }
    return all_answered();
  };
  wait_until(Deadline::after(std::min(state_.timeouts().heartbeat_s, 2.0)), collect, [this] { poll(); });

  std::vector<std::string> missing;
  std::vector<std::string> elsewhere;
  for (int r : expected) {
    if (r == state_.rank()) continue;
    const auto it = answered.find(r);
    if (it == answered.end()) {
      missing.push_back(fmt::format("{} did not arrive in phase '{}' within {:g} s", state_.layout().describe(r),
                                    state_.phase(), waited_s));
    } else if (it->second != state_.phase()) {
      elsewhere.push_back(fmt::format("{} is waiting in phase '{}'", state_.layout().describe(r), it->second));
    }
  }
  std::string report =
      fmt::format("{} waited {:g} s in phase '{}' for {}: ", state_.describe(), waited_s, state_.phase(), what);
  if (missing.empty() && elsewhere.empty()) {
    report += fmt::format(
        "every expected rank answered from phase '{}', so the ranks called operations that do not match (a "
        "different order or different arguments)",
        state_.phase());
  } else {
    std::vector<std::string> parts = missing;
    parts.insert(parts.end(), elsewhere.begin(), elsewhere.end());
    report += fmt::format("{}", fmt::join(parts, "; "));
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
