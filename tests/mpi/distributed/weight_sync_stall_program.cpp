// A 4-rank spct job (orchestrator, rollout worker, reward worker, learner) in which the learner fails while the
// rollout worker is in an overlapped weight receive (distributed/weight_sync.h): the rollout worker starts the
// receive, "generates" for a second while moving it on (progress()), then waits for it in phase 'weight_sync'
// (finish()). weight_sync_stall_test.sh runs it under mpiexec and checks how the job ends. The first argument
// says what the learner does in phase 'train' instead of publishing:
//   ok     publishes version 1; every rank finishes (exit 0)
//   stop   stops itself (SIGSTOP): the rollout worker's wait ends at its deadline (timeouts.step_s = 3 s) with
//          a stall report naming the learner and the phase (exit 4)
//   throw  throws: its entry point aborts the job naming it and its phase, and the receiving rank does not
//          hold the job up (exit 4)
// The orchestrator and the reward worker idle with a longer deadline, so the report is the rollout worker's.
#include <ATen/ops/full.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <string>
#include <thread>

#include "core/comm/rank_main.h"
#include "core/comm/world.h"
#include "core/comm/world_options.h"
#include "core/error.h"
#include "distributed/weight_sync.h"

using namespace spct;

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "ok";
  config::Config config;
  config.timeouts.startup_s = 30;
  config.timeouts.step_s = 3;
  config.timeouts.heartbeat_s = 1;
  comm::MpiSession session(&argc, &argv, config.timeouts.startup_s);
  comm::World world(comm::world_options(config), {});
  comm::RankState& state = world.state();
  const distributed::NamedTensors weights = {{"w", at::full({4096}, 1.0f)}};

  comm::run_rank(state, [&] {
    switch (state.role()) {
      case comm::Role::kRollout: {
        distributed::WeightReceiver receiver(*world.weight_sync(), weights, 0, 1024);
        receiver.start();
        {
          comm::PhaseScope phase(state, "generate");
          const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
          while (std::chrono::steady_clock::now() < until) {
            receiver.progress();
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
          }
        }
        comm::PhaseScope phase(state, "weight_sync");
        std::printf("rank %d received version %llu\n", state.rank(),
                    static_cast<unsigned long long>(receiver.finish()));
        break;
      }
      case comm::Role::kLearner: {
        distributed::WeightPublisher publisher(*world.weight_sync(), 1024);
        comm::PhaseScope phase(state, "train");
        if (mode == "stop") std::raise(SIGSTOP);
        if (mode == "throw") throw Error(ExitCode::kFailure, "the update failed (injected by the test)");
        publisher.publish(1, weights);
        break;
      }
      default: {
        comm::PhaseScope phase(state, "wait for step", 30);
        world.world().barrier();
        return;
      }
    }
    comm::PhaseScope phase(state, "wait for step", 30);
    world.world().barrier();
  });
  std::printf("rank %d finished\n", state.rank());
  return 0;
}
