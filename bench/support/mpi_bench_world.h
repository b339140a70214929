// What an MPI benchmark needs around spct's communicator, set up as spct's ranks have it: every rank in one
// role, default timeouts, the phase "bench", a stall detector and the world communicator over MPI_COMM_WORLD.
// REQUIRES: MPI is initialised. Members are declared in the order they are built (each refers to the ones
// before it), so the object must not move.
#pragma once

#include <mpi.h>

#include "core/comm/layout.h"
#include "core/comm/mpi_communicator.h"
#include "core/comm/rank_state.h"
#include "core/comm/stall_detector.h"
#include "core/config/config.h"

namespace spct::bench {

struct MpiBenchWorld {
  MpiBenchWorld(comm::Role role, int rank, int size)
      : layout(comm::RankLayout::uniform(role, size)),
        state(layout, rank, timeouts),
        phase(state, "bench"),
        stall(state),
        world(MPI_COMM_WORLD, stall, "world") {}
  MpiBenchWorld(const MpiBenchWorld&) = delete;
  MpiBenchWorld& operator=(const MpiBenchWorld&) = delete;

  const comm::RankLayout layout;
  const config::TimeoutsSection timeouts;
  comm::RankState state;
  comm::PhaseScope phase;
  comm::StallDetector stall;
  comm::MpiCommunicator world;
};

}  // namespace spct::bench
