#include "orchestrator/train/train_job.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <thread>

#include "core/comm/layout.h"
#include "core/config/checks.h"
#include "core/error.h"
#include "core/log.h"
#include "core/stop_signal.h"
#include "models/lora.h"
#include "models/packed_weight.h"
#include "orchestrator/jobs/grm_jobs.h"
#include "orchestrator/observe/status_server.h"
#include "orchestrator/run/launch.h"
#include "orchestrator/run/launcher_child.h"
#include "orchestrator/run/openmp_wait_policy.h"
#include "orchestrator/run/thread_count.h"
#include "orchestrator/train/local_backend.h"
#include "orchestrator/train/memory_estimate.h"
#include "orchestrator/train/mpi_job.h"
#include "orchestrator/train/policy_setup.h"
#include "orchestrator/train/train_loop.h"
#include "orchestrator/train/warm_start.h"

namespace spct::train {
namespace {

void run_colocated(const config::ResolvedConfig& resolved, const ResumePlan& plan) {
  const config::Config& config = resolved.config;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(run::intra_op_threads(config, cores));
  models::PackedWeight::set_enabled(config.rollout.pack_weights);
  const OpenedRun run = open_run(resolved, plan);
  spdlog::info("run directory {} (all roles in this process, {} threads)", run.dir.path(), at::get_num_threads());
  spdlog::info("OpenMP waits: {}", run::openmp_wait_in_force());
  const auto tokenizer = make_run_tokenizer(config);
  std::unique_ptr<models::Transformer> policy = make_policy(config, *tokenizer);
  if (config.sft.warmup_steps > 0 && !plan.from) warm_start(config, *tokenizer, *policy, nullptr, 0, 1);
  LocalBackend backend(config, *tokenizer, std::move(policy));
  if (plan.from) backend.restore(plan.from->path, static_cast<uint64_t>(plan.from->step));
  TrainOutcome outcome = TrainOutcome::kFinished;
  try {
    outcome = run_training(resolved, *tokenizer, backend, run.dir, run.state);
  } catch (const std::exception& e) {
    run.dir.write_failed(e.what());
    throw;
  }
  if (outcome == TrainOutcome::kCheckpointed) {
    throw Checkpointed("stopped on signal " + std::to_string(stop_signal_number()) + " after a checkpoint in " +
                       run.dir.path() + "/checkpoints; run the same command again to resume");
  }
}

}  // namespace

void run_train_job(const config::ResolvedConfig& resolved, const ResumeOptions& resume) {
  const config::Config& config = resolved.config;
  if (config.run.job != config::Job::kGrpo) {
    restore_default_stop_signals();      // these jobs write no checkpoints: a stop signal ends them at once
    return jobs::run_grm_job(resolved);  // one process: orchestrator/jobs/grm_jobs.h
  }
  // Installed by main() already for `spct train`; again here for callers that start elsewhere. A signal during
  // start-up (loading, MPI initialisation, the warm start) is then a stop request honoured at the first step
  // boundary rather than the default action, which kills the process: a SLURM job can be signalled as soon as
  // it starts.
  install_stop_signal_handlers();
  if (run::started_by_mpi_launcher()) return run_mpi_job(resolved, resume);
  // Decided here too, before any rank starts, so that a refused resume is a plain usage error.
  const ResumePlan plan = plan_resume(config, resume);
  if (plan.complete) return finish_completed_run(resolved, plan);
  // A busy observe.status_port fails here, with exit 2, before any rank starts or the warm start runs.
  observe::check_status_endpoint(config);
  // A model.path model whose context is too short for the configured lengths fails here too, from config.json.
  if (!config.model.path.empty()) check_context_fits(config, job_shapes(config).policy);
  // A LoRA target the model lacks fails here with exit 2, from config.json alone, before any rank loads weights.
  if (config.model.lora.rank > 0) {
    try {
      models::check_lora_targets(job_shapes(config).policy, config.model.lora.target_modules);
    } catch (const InputError& e) {
      throw UsageError(std::string("model.lora: ") + e.what());
    }
  }
  if (config.layout.colocate) return run_colocated(resolved, plan);
  const int ranks = static_cast<int>(config::required_world_size(config));
  std::vector<std::string> argv = {run::current_executable()};
  for (const std::string& arg : run::current_arguments()) argv.push_back(arg);
  const std::vector<std::string> command = run::local_mpirun_command(ranks, argv);
  run::choose_openmp_wait_for_local_ranks(ranks);
  spdlog::info("OpenMP waits of the ranks: {}", run::openmp_wait_in_force());
  spdlog::info("starting {} MPI ranks: {}", ranks, fmt::join(command, " "));
  std::vector<std::string> roles;
  const comm::RankLayout layout = comm::RankLayout::plan_single_node(config.layout, 1, 1, {});
  for (const comm::RankPlacement& placement : layout.ranks()) roles.push_back(comm::role_name(placement.role));
  // A lost rank's peers name it within timeouts.step_s and abort; mpirun then ends the rest. Should mpirun
  // hang instead (a frozen host's ranks), it gets the step deadline again and a grace before spct ends it.
  run::LauncherLimits limits;
  limits.teardown_s = config.timeouts.step_s + limits.teardown_s;
  const run::LauncherResult result = run::run_launcher(command, roles, limits);
  if (result.code == 0) return;
  if (result.message.empty() && result.code == to_int(ExitCode::kCheckpointed)) throw Checkpointed("");
  throw Error(static_cast<ExitCode>(result.code),
              result.message.empty()
                  ? fmt::format("the job ended with exit code {} (the ranks' messages above say why)", result.code)
                  : result.message);
}

}  // namespace spct::train
