#include "orchestrator/submit/slurm_options.h"

#include <regex>

#include "core/error.h"

namespace spct::submit {
namespace {

// sbatch --time: minutes, minutes:seconds, hours:minutes:seconds, days-hours, days-hours:minutes,
// days-hours:minutes:seconds (man sbatch).
const std::regex& time_pattern() {
  static const std::regex pattern(R"(^(\d+)(:\d+(:\d+)?)?$|^(\d+)-(\d+)(:\d+(:\d+)?)?$)");
  return pattern;
}

int64_t number(const std::string& text) {
  return text.empty() ? 0 : std::stoll(text);
}

}  // namespace

bool is_slurm_time(const std::string& text) {
  return text.empty() || text == "infinite" || text == "UNLIMITED" || std::regex_match(text, time_pattern());
}

std::optional<int64_t> slurm_time_seconds(const std::string& text) {
  if (text.empty() || text == "infinite" || text == "UNLIMITED") return std::nullopt;
  std::vector<int64_t> parts;
  int64_t days = 0;
  std::string rest = text;
  const std::size_t dash = text.find('-');
  if (dash != std::string::npos) {
    days = number(text.substr(0, dash));
    rest = text.substr(dash + 1);
  }
  for (std::size_t start = 0; start <= rest.size();) {
    const std::size_t colon = rest.find(':', start);
    parts.push_back(number(rest.substr(start, colon == std::string::npos ? std::string::npos : colon - start)));
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  int64_t seconds = 0;
  if (dash != std::string::npos) {  // D-H, D-H:M, D-H:M:S
    const int64_t unit[3] = {3600, 60, 1};
    for (std::size_t i = 0; i < parts.size(); ++i) seconds += parts[i] * unit[i];
  } else if (parts.size() == 1) {  // M
    seconds = parts[0] * 60;
  } else if (parts.size() == 2) {  // M:S
    seconds = parts[0] * 60 + parts[1];
  } else {  // H:M:S
    seconds = parts[0] * 3600 + parts[1] * 60 + parts[2];
  }
  return days * 86400 + seconds;
}

config::SlurmSection apply_choices(const config::SlurmSection& section, const SlurmChoices& choices,
                                   const std::string& where) {
  config::SlurmSection slurm = section;
  if (choices.partition) slurm.partition = *choices.partition;
  if (choices.account) slurm.account = *choices.account;
  if (choices.qos) slurm.qos = *choices.qos;
  if (choices.time) slurm.time = *choices.time;
  if (choices.nodes) slurm.nodes = *choices.nodes;
  if (choices.gpus_per_node) slurm.gpus_per_node = *choices.gpus_per_node;
  if (choices.mpi) slurm.mpi = *choices.mpi;
  if (choices.signal_lead_s) slurm.signal_lead_s = *choices.signal_lead_s;

  const std::string time_source = choices.time ? "--time" : "slurm.time in " + where;
  if (!is_slurm_time(slurm.time)) {
    throw UsageError(time_source + ": '" + slurm.time +
                     "' is not a SLURM time (minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS)");
  }
  if (slurm.nodes < 1) throw UsageError("--nodes must be at least 1");
  if (slurm.gpus_per_node < 0) throw UsageError("--gpus-per-node must not be negative");
  if (slurm.signal_lead_s < 0) throw UsageError("--signal-lead must not be negative");
  const std::optional<int64_t> limit = slurm_time_seconds(slurm.time);
  if (limit && slurm.signal_lead_s >= *limit) {
    throw UsageError("the early signal comes " + std::to_string(slurm.signal_lead_s) + " s before a time limit of " +
                     std::to_string(*limit) + " s (" + time_source +
                     "): the job would be told to stop as it starts; lower slurm.signal_lead_s or raise the time");
  }
  if (slurm.mpi.empty()) throw UsageError("slurm.mpi is empty: name srun's MPI plugin (pmix for Open MPI)");
  return slurm;
}

std::vector<std::string> sbatch_lines(const config::SlurmSection& slurm, int64_t ntasks, const std::string& job_name,
                                      const std::string& working_dir, const std::string& log_file) {
  if (ntasks < slurm.nodes) {
    throw UsageError("the job has " + std::to_string(ntasks) + " rank(s) but asks for " + std::to_string(slurm.nodes) +
                     " nodes: a node would have nothing to run");
  }
  std::vector<std::string> lines = {
      "--job-name=" + job_name,
      "--chdir=" + working_dir,
      "--output=" + log_file,
      "--open-mode=append",
      "--requeue",
      "--nodes=" + std::to_string(slurm.nodes),
      "--ntasks=" + std::to_string(ntasks),
  };
  if (slurm.cpus_per_task > 0) lines.push_back("--cpus-per-task=" + std::to_string(slurm.cpus_per_task));
  if (slurm.gpus_per_node > 0) lines.push_back("--gpus-per-node=" + std::to_string(slurm.gpus_per_node));
  if (!slurm.time.empty()) lines.push_back("--time=" + slurm.time);
  if (!slurm.partition.empty()) lines.push_back("--partition=" + slurm.partition);
  if (!slurm.account.empty()) lines.push_back("--account=" + slurm.account);
  if (!slurm.qos.empty()) lines.push_back("--qos=" + slurm.qos);
  if (slurm.signal_lead_s > 0) lines.push_back("--signal=B:USR1@" + std::to_string(slurm.signal_lead_s));
  lines.insert(lines.end(), slurm.sbatch_lines.begin(), slurm.sbatch_lines.end());
  return lines;
}

std::vector<std::string> srun_words(const config::SlurmSection& slurm, int64_t ntasks) {
  // --distribution=block: consecutive ranks on the same node, as many on each as SLURM allocated there (what
  // docs/slurm.md promises). Without it srun takes SLURM_DISTRIBUTION from the environment, which `sbatch -m` or the
  // user's shell sets, and spreads the ranks round robin instead. srun_args come after, so they can override it.
  std::vector<std::string> words = {"srun", "--mpi=" + (ntasks > 1 ? slurm.mpi : std::string("none")),
                                    "--kill-on-bad-exit=1", "--distribution=block"};
  // Since SLURM 22.05 srun no longer inherits --cpus-per-task from the allocation; it must be repeated.
  if (slurm.cpus_per_task > 0) words.push_back("--cpus-per-task=" + std::to_string(slurm.cpus_per_task));
  words.insert(words.end(), slurm.srun_args.begin(), slurm.srun_args.end());
  return words;
}

}  // namespace spct::submit
