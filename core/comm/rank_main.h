// The entry point wrapper of a rank: runs the rank's work and turns any exception into a job abort that says
// who failed, where and why.
#pragma once

#include <functional>

#include "core/comm/rank_state.h"

namespace spct::comm {

// Runs `body`. If it throws, logs "rank 3 (reward worker) failed in phase 'reward': <what>" (the phase is the
// one the exception left, RankState::failed_phase(), or the current one) and aborts the whole job with
// MPI_Abort(MPI_COMM_WORLD, 4): one rank cannot continue alone, and a rank that simply exited would leave the
// others waiting until their deadlines. Returns normally only when `body` does.
void run_rank(RankState& state, const std::function<void()>& body);

}  // namespace spct::comm
