#include "orchestrator/train/train_job.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <thread>

#include "core/config/checks.h"
#include "core/log.h"
#include "orchestrator/run/launch.h"
#include "orchestrator/run/run_directory.h"
#include "orchestrator/train/local_backend.h"
#include "orchestrator/train/mpi_job.h"
#include "orchestrator/train/policy_setup.h"
#include "orchestrator/train/train_loop.h"
#include "orchestrator/train/warm_start.h"

namespace spct::train {
namespace {

void run_colocated(const config::ResolvedConfig& resolved) {
  const config::Config& config = resolved.config;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(config.run.threads > 0 ? static_cast<int>(config.run.threads) : cores);
  const run::RunDirectory run_dir = run::RunDirectory::create(resolved);
  spdlog::info("run directory {} (all roles in this process, {} threads)", run_dir.path(), at::get_num_threads());
  const auto tokenizer = make_run_tokenizer(config);
  std::unique_ptr<models::Transformer> policy = make_policy(config, *tokenizer);
  if (config.sft.warmup_steps > 0) warm_start(config, *tokenizer, *policy, nullptr, 0, 1);
  LocalBackend backend(config, *tokenizer, std::move(policy));
  try {
    run_training(config, *tokenizer, backend, run_dir);
  } catch (const std::exception& e) {
    run_dir.write_status("failed", -1, e.what());
    throw;
  }
}

}  // namespace

void run_train_job(const config::ResolvedConfig& resolved) {
  const config::Config& config = resolved.config;
  if (config.layout.colocate) return run_colocated(resolved);
  if (!run::started_by_mpi_launcher()) {
    run::RunDirectory::check_available(config);
    const int ranks = static_cast<int>(config::required_world_size(config));
    std::vector<std::string> argv = {run::current_executable()};
    for (const std::string& arg : run::current_arguments()) argv.push_back(arg);
    const std::vector<std::string> command = run::local_mpirun_command(ranks, argv);
    spdlog::info("starting {} MPI ranks: {}", ranks, fmt::join(command, " "));
    run::exec_command(command);
  }
  run_mpi_job(resolved);
}

}  // namespace spct::train
