// The sbatch settings of a job: the config's `slurm` section with the command line's choices on top, checked.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/config/config.h"

namespace spct::submit {

// What `spct submit` was told on its command line; an empty optional keeps the config's value.
struct SlurmChoices {
  std::optional<std::string> partition;
  std::optional<std::string> account;
  std::optional<std::string> qos;
  std::optional<std::string> time;
  std::optional<int64_t> nodes;
  std::optional<int64_t> gpus_per_node;
  std::optional<std::string> mpi;
  std::optional<int64_t> signal_lead_s;
};

// `section` with every choice that was made applied. Throws spct::UsageError when the result is not usable:
// a time SLURM would not parse, a signal lead that does not fit in the time limit, fewer ranks than nodes.
// `where` says where the section came from in messages ("configs/x.yaml").
config::SlurmSection apply_choices(const config::SlurmSection& section, const SlurmChoices& choices,
                                   const std::string& where);

// True for the time formats sbatch --time accepts: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S (or "infinite").
bool is_slurm_time(const std::string& text);

// The limit in seconds; nullopt for "" (the partition's default) and "infinite". REQUIRES: is_slurm_time(text).
std::optional<int64_t> slurm_time_seconds(const std::string& text);

// The `#SBATCH ...` lines of a job of `ntasks` ranks: resources, time, requeue, append-mode logs, the early
// signal, and the section's extra lines. `log_file` is the --output pattern (e.g. "<run dir>/slurm-%j.out").
std::vector<std::string> sbatch_lines(const config::SlurmSection& slurm, int64_t ntasks, const std::string& job_name,
                                      const std::string& working_dir, const std::string& log_file);

// The srun words that start the ranks: srun --mpi=... --kill-on-bad-exit=1 --distribution=block
// [--cpus-per-task=N] srun_args... (block: ranks fill each node in order, whatever SLURM_DISTRIBUTION says).
// A job of one rank (a colocated run, `spct eval`, the GRM jobs) gets --mpi=none: it is not an MPI job, and
// without a PMI environment spct runs it in-process.
std::vector<std::string> srun_words(const config::SlurmSection& slurm, int64_t ntasks);

}  // namespace spct::submit
