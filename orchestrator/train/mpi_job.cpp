// run_mpi_job (mpi_job.h).
#include "orchestrator/train/mpi_job.h"

#include <ATen/Parallel.h>

#include "core/comm/rank_main.h"
#include "core/comm/world.h"
#include "core/error.h"
#include "core/log.h"
#include "orchestrator/run/run_directory.h"
#include "orchestrator/train/mpi_backend.h"
#include "orchestrator/train/policy_setup.h"
#include "orchestrator/train/role_loops.h"
#include "orchestrator/train/train_loop.h"

namespace spct::train {

void run_mpi_job(const config::ResolvedConfig& resolved) {
  const config::Config& config = resolved.config;
  comm::MpiSession session(nullptr, nullptr);
  comm::World world(config, comm::visible_devices_from_env());
  const comm::RankPlacement& self = world.self();
  init_logging(config.run.log_level, self.rank, comm::role_name(self.role));
  at::set_num_threads(self.threads);
  if (self.rank == 0) spdlog::info("rank layout:\n{}", world.layout().table());

  comm::run_rank(world.state(), [&] {
    const auto tokenizer = make_run_tokenizer(config);
    switch (self.role) {
      case comm::Role::kOrchestrator: {
        const run::RunDirectory run_dir = run::RunDirectory::create(resolved);
        spdlog::info("run directory {}", run_dir.path());
        MpiBackend backend(world, config);
        try {
          run_training(config, *tokenizer, backend, run_dir);
        } catch (const std::exception& e) {
          run_dir.write_status("failed", -1, e.what());
          throw;
        }
        break;
      }
      case comm::Role::kRollout: {
        const auto policy = make_policy(config, *tokenizer);
        run_rollout_rank(world, config, *tokenizer, *policy);
        break;
      }
      case comm::Role::kReward: run_reward_rank(world, config, *tokenizer); break;
      case comm::Role::kLearner: {
        const auto policy = make_policy(config, *tokenizer);
        run_learner_rank(world, config, *tokenizer, *policy);
        break;
      }
      case comm::Role::kColocated: throw Error(ExitCode::kFailure, "a colocated layout does not run under MPI");
    }
  });
}

}  // namespace spct::train
