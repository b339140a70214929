// What this process is and what it is doing: its rank, its role, the phase it is in ("startup", "generate",
// "reward", "train", "weight_sync", ...) and how long a wait may last in that phase. Every communicator of the
// process reads it to set deadlines and to say where it was when a stall or an error is reported; the entry
// point (rank_main.h) reads it to say where the rank was when it threw.
//
// Thread safety: owned by the thread that owns MPI (one per process); not thread-safe.
#pragma once

#include <string>

#include "core/comm/layout.h"
#include "core/config/config.h"

namespace spct::comm {

class RankState {
 public:
  // `layout` must outlive this object. The initial phase is "startup", with timeouts.startup_s.
  RankState(const RankLayout& layout, int rank, const config::TimeoutsSection& timeouts);

  RankState(const RankState&) = delete;
  RankState& operator=(const RankState&) = delete;

  int rank() const { return rank_; }
  Role role() const { return layout_.at(rank_).role; }
  const RankLayout& layout() const { return layout_; }
  const config::TimeoutsSection& timeouts() const { return timeouts_; }

  // "rank 3 (reward worker)".
  std::string describe() const { return layout_.describe(rank_); }

  const std::string& phase() const { return phase_; }
  // Seconds any single wait on another rank may last in the current phase.
  double phase_timeout_s() const { return phase_timeout_s_; }

  // The phase the rank was in when an exception last unwound a PhaseScope ("" if none did): the entry point
  // reports it, since the scopes are gone by the time the exception reaches it.
  const std::string& failed_phase() const { return failed_phase_; }

 private:
  friend class PhaseScope;

  const RankLayout& layout_;
  const int rank_;
  const config::TimeoutsSection timeouts_;
  std::string phase_ = "startup";
  double phase_timeout_s_;
  std::string failed_phase_;
};

// Enters a phase for the lifetime of the scope and restores the previous one on exit. Waits inside use
// `timeout_s` (normally timeouts.step_s). Nests.
class PhaseScope {
 public:
  PhaseScope(RankState& state, std::string phase, double timeout_s);
  // Uses timeouts.step_s.
  PhaseScope(RankState& state, std::string phase);
  ~PhaseScope();

  PhaseScope(const PhaseScope&) = delete;
  PhaseScope& operator=(const PhaseScope&) = delete;

 private:
  RankState& state_;
  const std::string previous_phase_;
  const double previous_timeout_s_;
  const int uncaught_at_entry_;
};

}  // namespace spct::comm
