// This process's part of an MPI training job: joins the MPI world, takes the role of its rank
// (core/comm/layout.h) and runs it; rank 0 runs the step loop through MpiBackend, the others their role loops
// (role_loops.h). Rank 0 decides where the run starts (resume.h) and tells every rank before any model is
// built. A rank that throws aborts the whole job (core/comm/rank_main.h).
#pragma once

#include "core/config/loader.h"
#include "orchestrator/train/resume.h"

namespace spct::train {

// Throws spct::UsageError on every rank when rank 0 refuses to resume (nothing started), spct::Checkpointed
// when the run stopped on a signal after a checkpoint (rank 0 with a message, the others without).
void run_mpi_job(const config::ResolvedConfig& resolved, const ResumeOptions& resume);

}  // namespace spct::train
