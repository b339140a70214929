// `spct submit CONFIG|PIPELINE [overrides]`.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "core/error.h"
#include "orchestrator/cli/commands.h"
#include "orchestrator/cli/config_args.h"
#include "orchestrator/pipeline/pipeline.h"
#include "orchestrator/pipeline/shell_quote.h"
#include "orchestrator/run/launch.h"
#include "orchestrator/submit/submit_plan.h"

namespace spct::cli {
namespace {

struct SubmitOptions {
  ConfigArgs target;
  submit::SlurmChoices choices;
  std::vector<std::string> sweeps;
  std::string template_file;
  bool dry_run = false;
};

// Adds `--name VALUE` filling an optional: absent on the command line means "the config's slurm section".
template <class T>
void add_choice(CLI::App& command, const std::string& name, std::optional<T>& target, const std::string& help) {
  command.add_option_function<T>(
      name, [&target](const T& value) { target = value; }, help);
}

std::string read_template(const std::string& path) {
  if (path.empty()) return submit::default_job_template();
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError("--template " + path + ": cannot read it");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void print_dry_run(const std::vector<submit::PlannedJob>& jobs) {
  for (const submit::PlannedJob& job : jobs) {
    std::vector<std::string> placeholders;
    for (const std::string& label : job.after) placeholders.push_back("<job id of " + label + ">");
    std::cout << "#### job " << job.label << ": " << job.script_path << "\n"
              << job.script << "#### submit " << job.label << " with:\n"
              << pipeline::shell_join(submit::sbatch_command(job, placeholders)) << "\n\n";
  }
}

}  // namespace

void register_submit(CLI::App& app) {
  auto options = std::make_shared<SubmitOptions>();
  CLI::App* command = app.add_subcommand(
      "submit",
      "Submit a training run (CONFIG) or every stage of a PIPELINE to SLURM: requeueable jobs that checkpoint "
      "before their time limit and resume (docs/slurm.md)");
  options->target.add_to(*command);
  add_choice(*command, "--nodes", options->choices.nodes, "Nodes per job (default: slurm.nodes)");
  add_choice(*command, "--gpus-per-node", options->choices.gpus_per_node,
             "GPUs per node (default: slurm.gpus_per_node)");
  add_choice(*command, "--time", options->choices.time, "Time limit, e.g. 2-00:00:00 (default: slurm.time)");
  add_choice(*command, "--partition", options->choices.partition, "Partition (default: slurm.partition)");
  add_choice(*command, "--account", options->choices.account, "Account (default: slurm.account)");
  add_choice(*command, "--qos", options->choices.qos, "Quality of service (default: slurm.qos)");
  add_choice(*command, "--mpi", options->choices.mpi, "srun --mpi plugin (default: slurm.mpi, pmix)");
  add_choice(*command, "--signal-lead", options->choices.signal_lead_s,
             "Seconds before the time limit to checkpoint and requeue (default: slurm.signal_lead_s)");
  // One value per --sweep, so a sweep followed by overrides does not swallow them.
  command
      ->add_option("--sweep", options->sweeps,
                   "section.key=v1,v2,...: one array task per combination of all --sweep values (repeatable)")
      ->allow_extra_args(false);
  command->add_option("--template", options->template_file,
                      "Render this job template instead of the built-in slurm/job.sbatch.in");
  command->add_flag("--dry-run", options->dry_run, "Print the job script(s) and sbatch commands; submit nothing");
  command->callback([options] {
    submit::SubmitRequest request;
    request.choices = options->choices;
    for (const std::string& spec : options->sweeps) request.sweeps.push_back(submit::parse_sweep(spec));
    request.template_text = read_template(options->template_file);
    request.spct_executable = run::current_executable();
    request.working_dir = std::filesystem::current_path().string();
    request.generated_by = "spct " + pipeline::shell_join(run::current_arguments());

    const std::string path = options->target.path();
    const bool is_pipeline = !path.empty() && pipeline::is_pipeline_file(path);
    const pipeline::Pipeline stages =
        is_pipeline ? pipeline::load_pipeline(path, options->target.overrides()) : pipeline::Pipeline{};
    const std::vector<submit::PlannedJob> jobs = is_pipeline
                                                     ? submit::plan_pipeline(stages, request, std::cerr)
                                                     : submit::plan_config(path, options->target.overrides(), request);
    if (options->dry_run) return print_dry_run(jobs);
    for (const pipeline::Stage& stage : stages.stages) pipeline::write_inline_config(stage);
    if (jobs.empty()) {
      std::cerr << "nothing to submit: every stage already finished\n";
      return;
    }
    const std::vector<std::string> ids = submit::submit_jobs(jobs, std::cerr);
    for (std::size_t i = 0; i < ids.size(); ++i) {
      std::cout << (is_pipeline ? jobs[i].label + " " : std::string()) << ids[i] << "\n";
    }
  });
}

}  // namespace spct::cli
