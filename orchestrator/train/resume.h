// Where a `spct train` run starts: from scratch, or from a checkpoint (`--resume auto|never|PATH`).
//
//   auto (default)  a new run directory starts at step 0; an existing one is this run's earlier attempt: it
//                   continues from its newest intact checkpoint (damaged ones are skipped with a warning), or
//                   from step 0 in the same directory when none was written yet;
//   never           refuses a run directory that already holds a run;
//   PATH            continues from that checkpoint directory (which must be intact), into this run's directory.
// A resumed run must describe the same experiment: the config keys of core/config/config_diff.h may not differ
// from the saved config (the run directory's and the checkpoint's) unless `--allow-config-change`. A run whose
// newest checkpoint already holds run.steps steps is complete and is not run again; but unless its status.json
// says it finished (written after the export), it was killed between its final checkpoint and the end of the
// export, and finish_completed_run() exports the model from that checkpoint.
//
// Tensor-free: the decision only reads config.yaml files and checkpoint manifests.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/checkpoint/checkpoint_store.h"
#include "core/config/loader.h"
#include "orchestrator/run/run_directory.h"
#include "orchestrator/train/run_state.h"

namespace spct::train {

struct ResumeOptions {
  std::string mode = "auto";  // auto | never | a checkpoint directory
  bool allow_config_change = false;
};

struct ResumePlan {
  bool existing_run = false;                      // reopen the run directory instead of creating it
  std::optional<checkpoint::CheckpointRef> from;  // continue from here; nullopt = step 0
  bool complete = false;                          // `from` already holds config.run.steps steps
  std::vector<std::string> warnings;              // damaged checkpoints skipped, allowed config changes

  int64_t start_step() const { return from ? from->step : 0; }
};

// Decides as above. Throws spct::UsageError for a refused run directory or config change (listing every
// blocking difference), spct::InputError for a PATH that is not an intact checkpoint or a saved config that
// cannot be read.
ResumePlan plan_resume(const config::Config& config, const ResumeOptions& options);

// The run directory a planned run writes into, and the orchestrator state it continues from.
struct OpenedRun {
  run::RunDirectory dir;
  std::optional<RunState> state;  // nullopt: step 0
};

// Creates the run directory (or reopens an earlier attempt's) and reads the checkpoint's state.json; cuts
// metrics.jsonl back to the checkpoint (or to nothing when the run starts again from step 0), keeping the lines
// cut off in metrics.discarded.jsonl, and moves the rollout log files of the steps it runs again to
// rollouts/discarded/ (orchestrator/observe/rollout_log_files.h). Logs the plan's warnings. Throws spct::Error /
// InputError.
OpenedRun open_run(const config::ResolvedConfig& resolved, const ResumePlan& plan);

// For a complete plan (plan.complete), on rank 0 or the launcher: returns at once when the run directory says the
// run finished; otherwise exports the model from the final checkpoint (orchestrator/run/model_export.h), points
// checkpoints/latest at it and writes status "finished". Every way a run starts goes through this (the launcher,
// ranks started by mpirun or srun, the colocated job). Throws spct::Error when the export fails.
void finish_completed_run(const config::ResolvedConfig& resolved, const ResumePlan& plan);

// `<run.dir>/<run.name>/checkpoints` with the config's retention.
checkpoint::CheckpointStore checkpoint_store_of(const config::Config& config);

}  // namespace spct::train
