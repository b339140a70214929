// `spct train`.
#include <algorithm>
#include <iostream>
#include <memory>
#include <thread>

#include "core/comm/layout.h"
#include "core/config/checks.h"
#include "core/config/render.h"
#include "orchestrator/cli/commands.h"
#include "orchestrator/cli/config_args.h"
#include "orchestrator/train/device_setup.h"
#include "orchestrator/train/memory_estimate.h"
#include "orchestrator/train/policy_setup.h"
#include "orchestrator/train/train_job.h"

namespace spct::cli {

void register_train(CLI::App& app) {
  struct Options {
    ConfigArgs config;
    bool dry_run = false;
    int gpus_per_node = -1;
    train::ResumeOptions resume;
  };
  auto options = std::make_shared<Options>();
  CLI::App* train = app.add_subcommand("train", "Train a policy with GRPO (or a GRM with SPCT) as described by CONFIG");
  options->config.add_to(*train);
  train->add_flag("--dry-run", options->dry_run,
                  "Check the config and print the rank layout (rank -> GPU) and each rank's memory estimate, then "
                  "exit");
  train
      ->add_option("--gpus-per-node", options->gpus_per_node,
                   "With --dry-run: plan for this many GPUs per node (as sbatch --gpus-per-node) instead of the ones "
                   "this machine shows")
      ->check(CLI::Range(0, 64));
  train
      ->add_option("--resume", options->resume.mode,
                   "auto: continue the run in <run.dir>/<run.name> from its newest intact checkpoint, if any; "
                   "never: refuse an existing run directory; or a checkpoint directory to continue from")
      ->default_val("auto");
  train->add_flag("--allow-config-change", options->resume.allow_config_change,
                  "Resume even when keys that define the experiment (model, data, seed, group shape, layout) "
                  "differ from the saved config");
  train->callback([options] {
    const config::ResolvedConfig resolved = options->config.load();
    if (!options->dry_run) return train::run_train_job(resolved, options->resume);
    const config::Config& c = resolved.config;
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    std::vector<std::string> gpus;
    if (c.model.device != config::Device::kCpu && options->gpus_per_node >= 0) {
      for (int i = 0; i < options->gpus_per_node; ++i) gpus.push_back(std::to_string(i));
    } else if (c.model.device != config::Device::kCpu) {
      gpus = train::local_gpu_ids(c.model);
    }
    const train::JobShapes shapes = train::job_shapes(c);
    const comm::RankLayout layout = comm::RankLayout::plan_single_node(c.layout, c.run.threads, cores, gpus);
    const std::vector<train::MemoryEstimate> estimates = train::estimate_job_memory(c, layout, shapes);
    std::cout << "config hash " << config::short_config_hash(c) << "; the job needs " << config::required_world_size(c)
              << " MPI rank(s); layout on one node of " << cores << " cores and " << gpus.size()
              << " GPU(s) (model.device " << config::to_string(c.model.device) << "):\n"
              << layout.table() << "\nmemory per rank (estimate; docs/gpu.md):\n"
              << train::memory_table(layout, estimates) << train::phase_table(c, layout, estimates);
  });
}

}  // namespace spct::cli
