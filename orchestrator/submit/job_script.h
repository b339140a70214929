// The sbatch script of one SLURM job, rendered from a template (slurm/job.sbatch.in, compiled into spct, or a
// user's own copy). Placeholders, each on a line of its own in the template:
//   {{generated_by}}    a comment: which spct command wrote the script
//   {{sbatch_options}}  the `#SBATCH` lines (slurm_options.h)
//   {{task_selection}}  sets `run_dir` and the array `spct_command` (per array task for a sweep)
//   {{setup}}           the slurm.setup lines (modules, environment)
//   {{srun_command}}    srun and its options, followed in the template by "${spct_command[@]}"
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config/config.h"

namespace spct::submit {

// One run the job performs: the whole job, or one array task of a sweep.
struct JobTask {
  std::vector<std::string> spct_arguments;  // after the program name: {"train", config, overrides...}
  std::string run_dir;                      // absolute
};

struct JobSpec {
  std::string name;         // --job-name
  std::string working_dir;  // --chdir: where relative paths in the config resolve (the submit directory)
  std::string log_file;     // --output pattern
  int64_t ntasks = 1;       // MPI ranks
  config::SlurmSection slurm;
  std::string spct_executable;  // absolute
  std::vector<JobTask> tasks;   // one, or one per array task (then --array=0-<n-1> is added)
  std::string generated_by;     // the command line that made the script, for its header
};

// The script for `job`. Throws spct::UsageError naming the line of `template_text` that holds an unknown
// placeholder, or naming a placeholder the template lacks (every one above is required).
std::string render_job_script(const JobSpec& job, const std::string& template_text);

// slurm/job.sbatch.in as compiled into spct.
const std::string& default_job_template();

}  // namespace spct::submit
