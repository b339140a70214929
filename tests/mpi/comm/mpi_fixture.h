// The runtime pieces a test needs without the orchestrator: every rank of MPI_COMM_WORLD plays one role
// (RankLayout::uniform), with a stall detector and a communicator over the whole world. Construct one per test
// case (it duplicates and frees a communicator, which is collective).
#pragma once

#include <mpi.h>

#include "core/comm/layout.h"
#include "core/comm/mpi_communicator.h"
#include "core/comm/rank_state.h"
#include "core/comm/stall_detector.h"

namespace spct::test {

inline int world_rank() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

inline int world_size() {
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return size;
}

inline config::TimeoutsSection test_timeouts() {
  config::TimeoutsSection timeouts;
  timeouts.startup_s = 60;
  timeouts.step_s = 60;
  timeouts.heartbeat_s = 1;
  return timeouts;
}

// MPI failures come back as codes for SPCT_MPI_CHECK, as World arranges in spct itself.
inline int set_errors_return() {
  return MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}

struct MpiFixture {
  explicit MpiFixture(comm::Role role = comm::Role::kLearner, const config::TimeoutsSection& timeouts = test_timeouts())
      : errhandler_code(set_errors_return()),
        layout(comm::RankLayout::uniform(role, world_size())),
        state(layout, world_rank(), timeouts),
        stall(state),
        world(MPI_COMM_WORLD, stall, "world") {}

  int errhandler_code;
  comm::RankLayout layout;
  comm::RankState state;
  comm::StallDetector stall;
  comm::MpiCommunicator world;
};

}  // namespace spct::test
