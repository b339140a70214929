// A 4-rank spct job (orchestrator, rollout worker, reward worker, learner) in which the reward worker, rank 2,
// misbehaves in phase 'reward' as the first argument says; stall_test.sh runs it under mpiexec and checks how
// the job ends. Deadlines are short: timeouts.step_s = 3, heartbeat_s = 1.
//   ok                every rank meets at a barrier; exit 0
//   sleep-collective  rank 2 sleeps instead of joining the barrier: the others' stall detectors abort (exit 4)
//   sleep-recv        rank 0 waits for a message rank 2 never sends: rank 0 aborts (exit 4)
//   kill              rank 2 dies of SIGKILL: mpirun ends the job (non-zero exit)
//   throw             rank 2 throws: its entry point aborts the job (exit 4)
#include <csignal>
#include <cstdio>
#include <string>
#include <thread>

#include "core/comm/rank_main.h"
#include "core/comm/world.h"
#include "core/error.h"

using namespace spct;

int main(int argc, char** argv) {
  comm::MpiSession session(&argc, &argv);
  const std::string mode = argc > 1 ? argv[1] : "ok";
  config::Config config;
  config.timeouts.startup_s = 30;
  config.timeouts.step_s = 3;
  config.timeouts.heartbeat_s = 1;
  comm::World world(config, {});
  comm::RankState& state = world.state();
  constexpr int kVictim = 2;

  comm::run_rank(state, [&] {
    if (state.rank() == kVictim) {
      comm::PhaseScope phase(state, "reward");
      if (mode.starts_with("sleep")) std::this_thread::sleep_for(std::chrono::seconds(60));
      if (mode == "kill") std::raise(SIGKILL);
      if (mode == "throw") throw InputError("the critique has no \\boxed{} scores (injected by the test)");
    }
    if (mode == "sleep-recv") {
      if (state.rank() == 0) {
        comm::PhaseScope phase(state, "reward");
        world.world().recv_as<protocol::RewardResult>(kVictim);
      } else {
        // The others idle with a longer deadline, so rank 0's report is the one that ends the job.
        comm::PhaseScope phase(state, "idle", 30);
        world.world().barrier();
      }
      return;
    }
    comm::PhaseScope phase(state, "reward");
    world.world().barrier();
  });
  std::printf("rank %d finished\n", state.rank());
  return 0;
}
