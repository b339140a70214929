// Local launch: `spct train` started by a user (not by mpirun or srun) starts itself again under mpirun with the
// rank count its config needs (mpirun runs as spct's child: launcher_child.h). Under a launcher it takes its
// role from its rank instead.
#pragma once

#include <string>
#include <vector>

namespace spct::run {

// True when this process was started by an MPI launcher (mpirun/mpiexec, srun with PMIx) as one of several
// ranks, judged from the launcher's environment variables.
bool started_by_mpi_launcher();

// The mpirun command line that runs `spct_argv` on `ranks` local ranks: --allow-run-as-root when running as root,
// --oversubscribe when ranks exceed the cores, --bind-to none (spct sets its own thread counts).
std::vector<std::string> local_mpirun_command(int ranks, const std::vector<std::string>& spct_argv);

// This process's command-line arguments after the program name (/proc/self/cmdline), for the relaunch.
std::vector<std::string> current_arguments();

// The absolute path of the running executable (/proc/self/exe), so the relaunch runs the same binary.
std::string current_executable();

}  // namespace spct::run
