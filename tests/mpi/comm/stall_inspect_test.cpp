// The stall detector's report, checked without aborting: rank 0 inspects while the others are waiting in
// various phases or not waiting at all.
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "tests/mpi/comm/mpi_fixture.h"

using namespace spct;
using namespace spct::comm;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

TEST_CASE("the stall report names ranks that did not arrive and where the others wait", "[stall]") {
  test::MpiFixture f;
  const int rank = f.world.rank();
  const int size = f.world.size();
  const auto release = [&] {
    for (int r = 1; r < size; ++r)
      f.world.send(r, protocol::Control{.kind = protocol::Control::Kind::kStop, .step = 0});
    f.world.flush();
  };
  if (rank == 0) {
    PhaseScope phase(f.state, "reward");
    std::vector<int> others;
    for (int r = 1; r < size; ++r) others.push_back(r);
    const std::string report = f.stall.inspect(others, "test wait", 10);
    release();
    if (size >= 3) {
      // The rank that did not answer is the cause: named first, with its host, then the wait that missed it.
      CHECK_THAT(report, StartsWith("rank 2 (learner, host ") &&
                             Contains(") did not arrive in phase 'reward' within 10 s: rank 0 (learner) waited 10 s "
                                      "in phase 'reward' for test wait"));
      if (size >= 4) CHECK_THAT(report, !Contains("rank 3"));
    } else {
      CHECK_THAT(report, Contains("rank 0 (learner) waited 10 s in phase 'reward' for test wait: "));
      CHECK_THAT(report, Contains("rank 1 (learner) is waiting in phase 'generate'"));
    }
  } else {
    // Rank 2 is busy past the inspection's grace period (heartbeat_s = 1 s) and cannot answer.
    if (rank == 2) std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    PhaseScope phase(f.state, rank == 1 ? "generate" : "reward");
    f.world.recv_as<protocol::Control>(0);
  }
  f.world.barrier();
}

TEST_CASE("ranks that all wait in the same phase point at mismatched operations", "[stall]") {
  test::MpiFixture f;
  PhaseScope phase(f.state, "train");
  if (f.world.rank() == 0) {
    const std::string report = f.stall.inspect({1}, "all_reduce of 10 float32", 5);
    f.world.send(1, protocol::Control{.kind = protocol::Control::Kind::kStop, .step = 0});
    CHECK_THAT(report, Contains("every rank it waits for answered: rank 1 (learner) waits in phase 'train'") &&
                           Contains("do not match"));
  } else if (f.world.rank() == 1) {
    f.world.recv_as<protocol::Control>(0);
  }
  f.world.barrier();
}
