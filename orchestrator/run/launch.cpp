#include "orchestrator/run/launch.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/error.h"

namespace spct::run {

bool started_by_mpi_launcher() {
  // Open MPI's mpirun sets OMPI_COMM_WORLD_SIZE; PMIx launchers (srun --mpi=pmix, prte) set PMIX_RANK.
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"}) {
    if (std::getenv(name) != nullptr) return true;
  }
  // A task of a multi-task srun step without a PMI plugin (srun --mpi=none): starting mpirun from every task
  // would multiply the ranks; joining instead, each task is an MPI world of one and the layout's world-size
  // check stops the job with a message naming both sizes.
  const char* step_tasks = std::getenv("SLURM_STEP_NUM_TASKS");
  return step_tasks != nullptr && std::atoi(step_tasks) > 1;
}

std::vector<std::string> local_mpirun_command(int ranks, const std::vector<std::string>& spct_argv) {
  std::vector<std::string> command = {"mpirun", "-n", std::to_string(ranks), "--bind-to", "none"};
  if (geteuid() == 0) command.push_back("--allow-run-as-root");
  if (static_cast<unsigned>(ranks) > std::max(1u, std::thread::hardware_concurrency())) {
    command.push_back("--oversubscribe");
  }
  command.insert(command.end(), spct_argv.begin(), spct_argv.end());
  return command;
}

std::vector<std::string> current_arguments() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::vector<std::string> args;
  std::string arg;
  while (std::getline(in, arg, '\0')) args.push_back(arg);
  if (!args.empty()) args.erase(args.begin());
  return args;
}

std::string current_executable() {
  std::error_code error;
  const std::filesystem::path path = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) throw Error(ExitCode::kFailure, "cannot find the spct executable: " + error.message());
  return path.string();
}

}  // namespace spct::run
