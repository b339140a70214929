// Deadlines and phases, without MPI: wait_until returns on completion or at the first poll after the
// deadline, and phases nest and survive exceptions for the entry point's report.
#include "core/comm/deadline.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <ctime>
#include <stdexcept>

#include "core/comm/rank_state.h"

using namespace spct::comm;

TEST_CASE("wait_until returns true as soon as the condition holds", "[deadline]") {
  int polls = 0;
  int idles = 0;
  const bool done = wait_until(
      Deadline::after(10), [&] { return ++polls == 5; }, [&] { ++idles; });
  CHECK(done);
  CHECK(polls == 5);
  CHECK(idles == 4);
}

TEST_CASE("wait_until gives up at the deadline", "[deadline]") {
  const auto start = std::chrono::steady_clock::now();
  const Deadline deadline = Deadline::after(0.3);
  CHECK(deadline.budget_s() == 0.3);
  CHECK(deadline.remaining_s() > 0.2);
  // It returns at the first poll after the deadline, however late a loaded machine runs that poll: no poll
  // happens once the deadline has been seen to pass (a wall-clock bound would measure the machine instead).
  int polls_after_deadline = 0;
  CHECK_FALSE(wait_until(deadline, [&] {
    polls_after_deadline += deadline.expired() ? 1 : 0;
    return false;
  }));
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(waited >= 0.3);
  CHECK(polls_after_deadline <= 1);
  CHECK(deadline.expired());
  CHECK(deadline.remaining_s() <= 0);
}

TEST_CASE("a long wait sleeps instead of spinning", "[deadline]") {
  // The first second spins; after that the loop sleeps up to 1 ms between polls. Over a 2.5 s wait the process
  // uses at most ~1 s of CPU plus the short polls; a loop that spun all along would use ~2.5 s.
  const std::clock_t cpu_start = std::clock();
  int polls = 0;
  CHECK_FALSE(wait_until(Deadline::after(2.5), [&] { return ++polls < 0; }));
  const double cpu_s = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  CHECK(cpu_s < 1.6);
  CHECK(polls > 1000);
}

TEST_CASE("phases nest, restore and remember where an exception left", "[deadline]") {
  spct::config::TimeoutsSection timeouts;
  timeouts.startup_s = 100;
  timeouts.step_s = 7;
  const RankLayout layout = RankLayout::uniform(Role::kReward, 4);
  RankState state(layout, 3, timeouts);
  CHECK(state.describe() == "rank 3 (reward worker)");
  CHECK(state.phase() == "startup");
  CHECK(state.phase_timeout_s() == 100);
  {
    PhaseScope reward(state, "reward");
    CHECK(state.phase() == "reward");
    CHECK(state.phase_timeout_s() == 7);
    {
      PhaseScope sync(state, "weight_sync", 2);
      CHECK(state.phase() == "weight_sync");
      CHECK(state.phase_timeout_s() == 2);
    }
    CHECK(state.phase() == "reward");
  }
  CHECK(state.phase() == "startup");
  CHECK(state.failed_phase().empty());
  try {
    PhaseScope reward(state, "reward");
    PhaseScope grm(state, "grm_critique");
    throw std::runtime_error("boom");
  } catch (const std::runtime_error&) {
  }
  CHECK(state.failed_phase() == "grm_critique");
  CHECK(state.phase() == "startup");
}
