// This process's part of an MPI training job: joins the MPI world, takes the role of its rank
// (core/comm/layout.h) and runs it; rank 0 runs the step loop through MpiBackend, the others their role loops
// (role_loops.h). A rank that throws aborts the whole job (core/comm/rank_main.h).
#pragma once

#include "core/config/loader.h"

namespace spct::train {

void run_mpi_job(const config::ResolvedConfig& resolved);

}  // namespace spct::train
