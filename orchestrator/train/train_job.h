// `spct train` after the config is loaded: decides how the job runs and runs this process's part of it.
//   - layout.colocate: every role in this process (LocalBackend);
//   - started by a user: starts itself again under mpirun with the ranks the layout needs (local mode);
//   - started by mpirun/srun: joins the MPI job and plays the role its rank has (core/comm/layout.h).
// Either way the run starts where resume.h decides (step 0 or a checkpoint), and a stop signal
// (core/stop_signal.h) ends it with a checkpoint and exit code 75.
#pragma once

#include "core/config/loader.h"
#include "orchestrator/train/resume.h"

namespace spct::train {

// Returns when this process's part of the job is done. Throws spct::Checkpointed when the run stopped on a
// signal after writing a checkpoint, spct::Error on failure (in an MPI job a failing rank aborts the whole job
// instead: core/comm/rank_main.h).
void run_train_job(const config::ResolvedConfig& resolved, const ResumeOptions& resume);

}  // namespace spct::train
