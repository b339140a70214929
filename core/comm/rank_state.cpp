#include "core/comm/rank_state.h"

#include <fmt/format.h>

#include <exception>

#include "core/whereabouts.h"

namespace spct::comm {
namespace {

// For a signal handler that runs after no deadline could (core/whereabouts.h).
void note_place(const RankState& state) {
  const RankPlacement& self = state.layout().at(state.rank());
  set_whereabouts_place(fmt::format("rank {} ({}, host {}) was in phase '{}'", state.rank(), role_name(self.role),
                                    self.hostname, state.phase()));
}

}  // namespace

RankState::RankState(const RankLayout& layout, int rank, const config::TimeoutsSection& timeouts)
    : layout_(layout), rank_(rank), timeouts_(timeouts), phase_timeout_s_(timeouts.startup_s) {
  note_place(*this);
}

PhaseScope::PhaseScope(RankState& state, std::string phase, double timeout_s)
    : state_(state),
      previous_phase_(state.phase_),
      previous_timeout_s_(state.phase_timeout_s_),
      uncaught_at_entry_(std::uncaught_exceptions()) {
  state_.phase_ = std::move(phase);
  state_.phase_timeout_s_ = timeout_s;
  note_place(state_);
}

PhaseScope::PhaseScope(RankState& state, std::string phase)
    : PhaseScope(state, std::move(phase), state.timeouts().step_s) {}

PhaseScope::~PhaseScope() {
  // Unwinding because of an exception thrown inside this scope: remember the innermost phase it left, which is
  // the first scope to unwind, for the entry point's report.
  if (std::uncaught_exceptions() > uncaught_at_entry_ && state_.failed_phase_.empty()) {
    state_.failed_phase_ = state_.phase_;
  }
  state_.phase_ = previous_phase_;
  state_.phase_timeout_s_ = previous_timeout_s_;
  note_place(state_);
}

}  // namespace spct::comm
