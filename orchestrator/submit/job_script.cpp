#include "orchestrator/submit/job_script.h"

#include <map>

#include "core/error.h"
#include "orchestrator/pipeline/shell_quote.h"
#include "orchestrator/submit/slurm_options.h"

namespace spct::submit {
namespace {

using pipeline::shell_join;
using pipeline::shell_quote;

std::string task_lines(const JobTask& task, const std::string& spct, const std::string& indent) {
  std::vector<std::string> command = {spct};
  command.insert(command.end(), task.spct_arguments.begin(), task.spct_arguments.end());
  return indent + "run_dir=" + shell_quote(task.run_dir) + "\n" + indent + "spct_command=(" + shell_join(command) + ")";
}

std::string task_selection(const JobSpec& job) {
  if (job.tasks.size() == 1) return task_lines(job.tasks.front(), job.spct_executable, "");
  std::string out = "case \"${SLURM_ARRAY_TASK_ID:-}\" in\n";
  for (std::size_t i = 0; i < job.tasks.size(); ++i) {
    out += "  " + std::to_string(i) + ")\n" + task_lines(job.tasks[i], job.spct_executable, "    ") + "\n    ;;\n";
  }
  out += "  *)\n    echo \"spct job: no array task '${SLURM_ARRAY_TASK_ID:-}' in this script (0-" +
         std::to_string(job.tasks.size() - 1) + ")\" >&2\n    exit 2\n    ;;\nesac";
  return out;
}

std::string sbatch_block(const JobSpec& job) {
  std::vector<std::string> lines = sbatch_lines(job.slurm, job.ntasks, job.name, job.working_dir, job.log_file);
  if (job.tasks.size() > 1) lines.push_back("--array=0-" + std::to_string(job.tasks.size() - 1));
  std::string out;
  for (const std::string& line : lines) out += (out.empty() ? "" : "\n") + std::string("#SBATCH ") + line;
  return out;
}

std::string setup_block(const config::SlurmSection& slurm) {
  if (slurm.setup.empty()) return "# (no slurm.setup lines)";
  std::string out = "# slurm.setup";
  for (const std::string& line : slurm.setup) out += "\n" + line;
  return out;
}

}  // namespace

std::string render_job_script(const JobSpec& job, const std::string& template_text) {
  if (job.tasks.empty()) throw UsageError("a job needs at least one run");
  const std::map<std::string, std::string> values = {
      {"generated_by", "# Written by: " + job.generated_by},
      {"sbatch_options", sbatch_block(job)},
      {"task_selection", task_selection(job)},
      {"setup", setup_block(job.slurm)},
      {"srun_command", shell_join(srun_words(job.slurm, job.ntasks))},
  };
  std::map<std::string, int> used;
  std::string out;
  std::size_t pos = 0;
  int line = 1;
  while (true) {
    const std::size_t open = template_text.find("{{", pos);
    if (open == std::string::npos) break;
    const std::size_t close = template_text.find("}}", open);
    for (std::size_t i = pos; i < open; ++i) line += template_text[i] == '\n' ? 1 : 0;
    const std::string name =
        template_text.substr(open + 2, close == std::string::npos ? std::string::npos : close - open - 2);
    const auto value = values.find(name);
    if (close == std::string::npos || value == values.end()) {
      throw UsageError("job template line " + std::to_string(line) + ": unknown placeholder {{" + name +
                       (close == std::string::npos ? " (no closing }})" : "}}") +
                       "; known: generated_by, sbatch_options, task_selection, setup, srun_command");
    }
    out += template_text.substr(pos, open - pos) + value->second;
    ++used[name];
    pos = close + 2;
  }
  out += template_text.substr(pos);
  for (const auto& [name, text] : values) {
    if (used.count(name) == 0) throw UsageError("the job template has no {{" + name + "}} placeholder");
  }
  return out;
}

}  // namespace spct::submit
