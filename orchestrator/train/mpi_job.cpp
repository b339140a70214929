// run_mpi_job (mpi_job.h).
#include "orchestrator/train/mpi_job.h"

#include <ATen/Parallel.h>

#include <nlohmann/json.hpp>

#include "core/comm/rank_main.h"
#include "core/comm/world.h"
#include "core/error.h"
#include "core/log.h"
#include "core/stop_signal.h"
#include "models/packed_weight.h"
#include "orchestrator/run/openmp_wait_policy.h"
#include "orchestrator/run/thread_count.h"
#include "orchestrator/train/device_setup.h"
#include "orchestrator/train/mpi_backend.h"
#include "orchestrator/train/policy_setup.h"
#include "orchestrator/train/role_loops.h"
#include "orchestrator/train/shared_run_dir.h"
#include "orchestrator/train/train_loop.h"

namespace spct::train {
namespace {

// Rank 0's resume decision as every rank needs it: {"error": message} when refused, else the plan.
nlohmann::json decide_on_rank_zero(const config::Config& config, const ResumeOptions& options, ResumePlan& plan) {
  try {
    plan = plan_resume(config, options);
  } catch (const UsageError& e) {
    return {{"error", e.what()}};
  }
  nlohmann::json decision = {{"complete", plan.complete}};
  if (plan.from) decision["checkpoint"] = {{"path", plan.from->path.string()}, {"step", plan.from->step}};
  return decision;
}

// Sends rank 0's `value` to every rank of `comm` (collective).
nlohmann::json share_from_rank_zero(comm::Communicator& comm, const nlohmann::json& value) {
  std::string text = comm.rank() == 0 ? value.dump() : std::string();
  uint64_t size = text.size();
  comm.broadcast(&size, sizeof(size), 0);
  text.resize(size);
  comm.broadcast(text.data(), size, 0);
  return nlohmann::json::parse(text);
}

}  // namespace

void run_mpi_job(const config::ResolvedConfig& resolved, const ResumeOptions& resume) {
  const config::Config& config = resolved.config;
  comm::MpiSession session(nullptr, nullptr, config.timeouts.startup_s);
  comm::World world(comm::world_options(config), local_gpu_ids(config.model));
  const comm::RankPlacement& self = world.self();
  init_logging(config.run.log_level, self.rank, comm::role_name(self.role));
  at::set_num_threads(run::intra_op_threads(config, self.threads));
  models::PackedWeight::set_enabled(config.rollout.pack_weights);
  // Before any model exists: the rank's GPU becomes this process's current device, where the models of every
  // role (policy, reference, GRM, meta RM) are built.
  const at::Device device = rank_device(config.model, self);
  if (self.rank == 0) spdlog::info("rank layout:\n{}", world.layout().table());
  spdlog::debug("OpenMP waits: {}", run::openmp_wait_in_force());

  ResumePlan plan;
  nlohmann::json decision;
  {
    comm::PhaseScope phase(world.state(), "startup", config.timeouts.startup_s);
    // Half the startup deadline to see rank 0's file, so the refusal comes before the deadline's stall report.
    check_run_dir_shared(world.world(), world.layout(), config.run.dir, config.timeouts.startup_s / 2);
    decision = share_from_rank_zero(world.world(),
                                    self.rank == 0 ? decide_on_rank_zero(config, resume, plan) : nlohmann::json());
  }
  if (decision.contains("error")) {
    throw UsageError(self.rank == 0 ? decision["error"].get<std::string>()
                                    : "rank " + std::to_string(self.rank) + ": rank 0 refused to start the run");
  }
  if (decision["complete"].get<bool>()) {
    // Ranks started by srun reach this without the launcher's check (train_job.cpp).
    if (self.rank == 0) finish_completed_run(resolved, plan);
    return;
  }
  RoleStart start;
  if (decision.contains("checkpoint")) {
    start.checkpoint = decision["checkpoint"]["path"].get<std::string>();
    start.step = decision["checkpoint"]["step"].get<int64_t>();
  }

  uint64_t steps_completed = 0;
  comm::run_rank(world.state(), [&] {
    const auto tokenizer = make_run_tokenizer(config);
    switch (self.role) {
      case comm::Role::kOrchestrator: {
        const OpenedRun run = open_run(resolved, plan);
        spdlog::info("run directory {}", run.dir.path());
        MpiBackend backend(world, config);
        try {
          const TrainOutcome outcome = run_training(resolved, *tokenizer, backend, run.dir, run.state);
          steps_completed = outcome == TrainOutcome::kFinished ? static_cast<uint64_t>(config.run.steps) : 0;
        } catch (const std::exception& e) {
          run.dir.write_failed(e.what());
          throw;
        }
        break;
      }
      case comm::Role::kRollout: {
        const auto policy = make_policy(config, *tokenizer, device);
        steps_completed = run_rollout_rank(world, config, *tokenizer, *policy, start);
        break;
      }
      case comm::Role::kReward: steps_completed = run_reward_rank(world, config, *tokenizer); break;
      case comm::Role::kLearner: {
        const auto policy = make_policy(config, *tokenizer, device);
        steps_completed = run_learner_rank(world, config, *tokenizer, *policy, start);
        break;
      }
      case comm::Role::kColocated: throw Error(ExitCode::kFailure, "a colocated layout does not run under MPI");
    }
  });
  if (steps_completed < static_cast<uint64_t>(config.run.steps)) {
    throw Checkpointed(self.rank == 0 ? "stopped on a signal after a checkpoint in " + config.run.dir + "/" +
                                            config.run.name + "/checkpoints; run the same command again to resume"
                                      : "");
  }
}

}  // namespace spct::train
