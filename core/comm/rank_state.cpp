#include "core/comm/rank_state.h"

#include <exception>

namespace spct::comm {

RankState::RankState(const RankLayout& layout, int rank, const config::TimeoutsSection& timeouts)
    : layout_(layout), rank_(rank), timeouts_(timeouts), phase_timeout_s_(timeouts.startup_s) {}

PhaseScope::PhaseScope(RankState& state, std::string phase, double timeout_s)
    : state_(state),
      previous_phase_(state.phase_),
      previous_timeout_s_(state.phase_timeout_s_),
      uncaught_at_entry_(std::uncaught_exceptions()) {
  state_.phase_ = std::move(phase);
  state_.phase_timeout_s_ = timeout_s;
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
}

}  // namespace spct::comm
