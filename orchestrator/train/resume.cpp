#include "orchestrator/train/resume.h"

#include <filesystem>

#include "core/checkpoint/manifest.h"
#include "core/config/config_diff.h"
#include "core/config/loader.h"
#include "core/error.h"
#include "core/log.h"
#include "orchestrator/observe/rollout_log_files.h"
#include "orchestrator/run/model_export.h"

namespace spct::train {
namespace fs = std::filesystem;
namespace {

fs::path run_path(const config::Config& config) {
  return fs::path(config.run.dir) / config.run.name;
}

config::Config saved_config(const fs::path& file) {
  try {
    return config::load_config(file.string(), {}).config;
  } catch (const Error& e) {
    throw InputError("cannot read the saved config " + file.string() + ": " + e.what());
  }
}

// Refuses blocking differences between `saved` (from `where`) and `config`; records the others as warnings.
void compare(const config::Config& saved, const config::Config& config, const std::string& where,
             const ResumeOptions& options, ResumePlan& plan) {
  std::vector<std::string> blocking;
  for (const config::ConfigChange& change : config::config_changes(saved, config)) {
    if (change.blocks_resume && !options.allow_config_change) {
      blocking.push_back("  " + change.describe());
    } else {
      plan.warnings.push_back("config differs from " + where + ": " + change.describe());
    }
  }
  if (blocking.empty()) return;
  std::string message = "cannot resume: the config differs from " + where + " in keys that define the experiment:\n";
  for (const std::string& line : blocking) message += line + "\n";
  message += "start a new run (another run.name), or pass --allow-config-change to continue anyway";
  throw UsageError(message);
}

}  // namespace

checkpoint::CheckpointStore checkpoint_store_of(const config::Config& config) {
  return checkpoint::CheckpointStore(run_path(config) / "checkpoints",
                                     {config.checkpoint.keep_last, config.checkpoint.keep_every});
}

ResumePlan plan_resume(const config::Config& config, const ResumeOptions& options) {
  ResumePlan plan;
  const fs::path run_dir = run_path(config);
  std::error_code error;
  plan.existing_run = fs::exists(run_dir / "config.yaml", error);

  if (options.mode == "never") {
    if (plan.existing_run) {
      throw UsageError("run directory " + run_dir.string() +
                       " already holds a run and --resume never was given; choose another run.name (e.g. run.name=" +
                       config.run.name + "-2), or resume it with --resume auto");
    }
    return plan;
  }
  if (plan.existing_run) compare(saved_config(run_dir / "config.yaml"), config, run_dir.string(), options, plan);

  if (options.mode == "auto") {
    if (plan.existing_run) plan.from = checkpoint_store_of(config).latest_valid(plan.warnings);
  } else {
    const fs::path path = fs::absolute(options.mode, error);
    const std::optional<int64_t> step = checkpoint::step_of_directory(path.filename().string());
    if (!fs::is_directory(path, error) || !step) {
      throw UsageError("--resume " + options.mode +
                       ": not a checkpoint directory (expected .../checkpoints/step-NNNNNNNN)");
    }
    if (const std::string problem = checkpoint::verify_manifest(path); !problem.empty()) {
      throw InputError("checkpoint " + path.string() + " is damaged: " + problem);
    }
    compare(saved_config(path / "config.yaml"), config, "checkpoint " + path.string(), options, plan);
    plan.from = checkpoint::CheckpointRef{path, *step};
  }
  plan.complete = plan.from && plan.from->step >= config.run.steps;
  return plan;
}

void finish_completed_run(const config::ResolvedConfig& resolved, const ResumePlan& plan) {
  const config::Config& config = resolved.config;
  const fs::path run_dir = run_path(config);
  std::error_code error;
  if (plan.existing_run && fs::is_directory(run_dir / "model", error) && run::RunDirectory::finished(config)) {
    spdlog::info("run {} already completed {} steps (checkpoint {}); nothing to do", run_dir.string(), plan.from->step,
                 plan.from->path.string());
    return;
  }
  for (const std::string& warning : plan.warnings) spdlog::warn("{}", warning);
  const run::RunDirectory dir =
      plan.existing_run ? run::RunDirectory::reopen(resolved) : run::RunDirectory::create(resolved);
  spdlog::warn(
      "run {} has all {} steps in checkpoint {} but has not finished exporting its model (it was stopped "
      "after its final checkpoint or during the export): exporting it now",
      run_dir.string(), plan.from->step, plan.from->path.string());
  if (fs::equivalent(plan.from->path.parent_path(), checkpoint_store_of(config).root(), error)) {
    checkpoint_store_of(config).point_latest_at(plan.from->step);
  }
  run::export_model(plan.from->path, dir);
  dir.write_status("finished", plan.from->step);
}

OpenedRun open_run(const config::ResolvedConfig& resolved, const ResumePlan& plan) {
  for (const std::string& warning : plan.warnings) spdlog::warn("{}", warning);
  OpenedRun opened{plan.existing_run ? run::RunDirectory::reopen(resolved) : run::RunDirectory::create(resolved),
                   std::nullopt};
  if (plan.from) {
    opened.state = read_run_state(plan.from->path);
    spdlog::info("resuming from {} (step {} of {})", plan.from->path.string(), opened.state->step,
                 resolved.config.run.steps);
  } else if (plan.existing_run) {
    spdlog::warn("run directory {} holds no intact checkpoint: starting again from step 0", opened.dir.path());
  }
  // Steps after the checkpoint ran in an attempt that was cut short; this attempt writes them again.
  if (plan.existing_run) {
    opened.dir.truncate_metrics(opened.state ? opened.state->metrics_bytes : 0);
    const int64_t moved = observe::discard_rollouts_from(opened.dir.file("rollouts"), plan.start_step());
    if (moved > 0) {
      spdlog::info(
          "moved {} rollout log file(s) of steps >= {} written by the earlier attempt to {}/rollouts/discarded/", moved,
          plan.start_step(), opened.dir.path());
    }
  }
  opened.dir.write_status("running", plan.start_step());
  return opened;
}

}  // namespace spct::train
