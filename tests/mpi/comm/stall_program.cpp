// A 4-rank spct job (orchestrator, rollout worker, reward worker, learner) in which the reward worker, rank 2,
// misbehaves in phase 'reward' as the first argument says; stall_test.sh runs it under mpiexec and checks how
// the job ends. Deadlines are short: timeouts.step_s = 3, heartbeat_s = 1, startup_s = 3 (the start-up
// watchdog's).
//   ok                every rank meets at a barrier; exit 0
//   sleep-collective  rank 2 sleeps instead of joining the barrier: the others' stall detectors abort (exit 4)
//   sleep-recv        rank 0 waits for a message rank 2 never sends: rank 0 aborts (exit 4)
//   kill              rank 2 dies of SIGKILL: mpirun ends the job (non-zero exit)
//   throw             rank 2 throws: its entry point aborts the job (exit 4)
//   stop VICTIM       the pattern of a training step: rank 0 (orchestrator) waits in phase 'collect' for a
//                     result from rank VICTIM (1, 2 or 3), which stops itself (SIGSTOP) in phase 'work'; the other
//                     two workers already wait for rank 0's next command in phase 'wait for step', so they time
//                     out first (rank 0 starts waiting 1 s later). Every report must blame VICTIM (exit 4).
//   stop-continue     rank 2 stops itself in phase 'reward' and a child process continues it (SIGCONT) 3.4 s
//                     later, just after the others' deadline, so it answers their probes from the same phase and
//                     operation as they wait in: the reports must name it as not running, not blame mismatched
//                     operations (exit 4)
//   startup           run under a wrapper that stops one rank before it starts (stall_test.sh): the others are
//                     stuck in MPI_Init_thread until the start-up watchdog ends them (exit 4)
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <string>
#include <thread>

#include "core/comm/rank_main.h"
#include "core/comm/world.h"
#include "core/error.h"

using namespace spct;

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "ok";
  config::Config config;
  config.timeouts.startup_s = mode == "startup" ? 3 : 30;
  config.timeouts.step_s = 3;
  config.timeouts.heartbeat_s = 1;
  comm::MpiSession session(&argc, &argv, config.timeouts.startup_s);
  comm::World world(comm::world_options(config), {});
  comm::RankState& state = world.state();
  constexpr int kVictim = 2;

  comm::run_rank(state, [&] {
    if (mode == "stop") {
      const int victim = argc > 2 ? std::stoi(argv[2]) : kVictim;
      if (state.rank() == victim) {
        comm::PhaseScope phase(state, "work");
        std::raise(SIGSTOP);
        // Continued by mpirun as it ends the job; the result is late, whoever gets it.
        world.world().send(0, protocol::RewardResult{});
        world.world().flush();
      } else if (state.rank() == 0) {
        std::this_thread::sleep_for(std::chrono::seconds(1));
        comm::PhaseScope phase(state, "collect");
        world.world().recv_as<protocol::RewardResult>(victim);
      } else {
        comm::PhaseScope phase(state, "wait for step");
        world.world().recv_as<protocol::Control>(0);
      }
      return;
    }
    if (state.rank() == kVictim) {
      comm::PhaseScope phase(state, "reward");
      if (mode == "stop-continue") {
        const pid_t self = getpid();
        if (fork() == 0) {
          const timespec late{3, 400'000'000};  // past the others' 3 s deadline, inside their 1 s grace period
          nanosleep(&late, nullptr);
          kill(self, SIGCONT);
          _exit(0);
        }
        std::raise(SIGSTOP);
      }
      if (mode.starts_with("sleep")) std::this_thread::sleep_for(std::chrono::hours(1));
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
    if (mode == "stop-continue") {
      // The others abort the job; waiting here keeps the continued rank from finishing while they do.
      comm::PhaseScope idle(state, "idle", 60);
      world.world().recv_as<protocol::Control>(0);
    }
  });
  std::printf("rank %d finished\n", state.rank());
  return 0;
}
