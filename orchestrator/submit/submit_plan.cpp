#include "orchestrator/submit/submit_plan.h"

#include <filesystem>
#include <map>

#include "core/atomic_file.h"
#include "core/config/loader.h"
#include "core/error.h"
#include "orchestrator/pipeline/child_process.h"
#include "orchestrator/pipeline/local_runner.h"

namespace spct::submit {
namespace fs = std::filesystem;
namespace {

constexpr double kSbatchDeadlineS = 60;

std::string absolute(const std::string& path) {
  return fs::absolute(path).lexically_normal().string();
}

PlannedJob finish(PlannedJob job, const SubmitRequest& request) {
  job.spec.spct_executable = request.spct_executable;
  job.spec.working_dir = request.working_dir;
  job.spec.generated_by = request.generated_by;
  job.script = render_job_script(job.spec, request.template_text);
  return job;
}

std::vector<std::string> train_arguments(const std::string& config_path, const std::vector<std::string>& overrides) {
  std::vector<std::string> args = {"train"};
  if (!config_path.empty()) args.push_back(config_path);
  args.insert(args.end(), overrides.begin(), overrides.end());
  return args;
}

}  // namespace

std::vector<PlannedJob> plan_config(const std::string& config_path, const std::vector<std::string>& overrides,
                                    const SubmitRequest& request) {
  const std::string path = config_path.empty() ? "" : absolute(config_path);
  const std::string where = config_path.empty() ? config::kEmbeddedConfigName : config_path;
  const config::Config config = config::load_config(path, overrides).config;
  PlannedJob job;
  job.label = config.run.name;
  job.spec.name = config.run.name;
  job.spec.ntasks = pipeline::run_ranks(config, "train");
  job.spec.slurm = apply_choices(config.slurm, request.choices, where);
  const std::string run_dir = absolute((fs::path(config.run.dir) / config.run.name).string());
  job.script_path = run_dir + "/job.sbatch";
  if (request.sweeps.empty()) {
    job.spec.log_file = run_dir + "/slurm-%j.out";
    job.spec.tasks.push_back(JobTask{train_arguments(path, overrides), run_dir});
    return {finish(std::move(job), request)};
  }
  // A sweep: <run.dir>/<run.name>/ holds one run directory per point and the array's logs.
  job.spec.log_file = run_dir + "/slurm-%A_%a.out";
  for (const SweepPoint& point : sweep_points(request.sweeps)) {
    std::vector<std::string> point_overrides = overrides;
    point_overrides.insert(point_overrides.end(), point.overrides.begin(), point.overrides.end());
    point_overrides.push_back("run.dir=" + run_dir);
    point_overrides.push_back("run.name=" + point.name);
    const config::Config point_config = config::load_config(path, point_overrides).config;
    if (pipeline::run_ranks(point_config, "train") != job.spec.ntasks) {
      throw UsageError("sweep point " + point.name + " needs " +
                       std::to_string(pipeline::run_ranks(point_config, "train")) + " ranks, the others " +
                       std::to_string(job.spec.ntasks) +
                       ": the tasks of one job array share one allocation size; sweep layout keys in separate jobs");
    }
    job.spec.tasks.push_back(JobTask{train_arguments(path, point_overrides), run_dir + "/" + point.name});
  }
  return {finish(std::move(job), request)};
}

std::vector<PlannedJob> plan_pipeline(const pipeline::Pipeline& pipeline, const SubmitRequest& request,
                                      std::ostream& log) {
  if (!request.sweeps.empty()) {
    throw UsageError("--sweep applies to one experiment config, not to a pipeline; sweep a stage's config instead");
  }
  std::vector<PlannedJob> jobs;
  for (const pipeline::Stage& stage : pipeline.stages) {
    if (stage.is_report()) {
      log << "pipeline " << pipeline.name << ": stage " << stage.name
          << " is a report; not submitted (`spct pipeline run` prints it once the jobs have finished)" << std::endl;
      continue;
    }
    if (pipeline::stage_finished(stage)) {
      log << "pipeline " << pipeline.name << ": stage " << stage.name << " already finished (" << stage.run_dir
          << "); not submitted" << std::endl;
      continue;
    }
    PlannedJob job;
    job.label = stage.name;
    job.spec.name = pipeline.name + "." + stage.name;
    job.spec.ntasks = pipeline::run_ranks(stage.config, stage.command);
    job.spec.slurm = apply_choices(stage.config.slurm, request.choices, stage.config_path);
    job.spec.log_file = stage.run_dir + "/slurm-%j.out";
    job.spec.tasks.push_back(JobTask{stage.arguments(), stage.run_dir});
    job.script_path = stage.run_dir + "/job.sbatch";
    for (const std::string& name : stage.after) {
      for (const PlannedJob& earlier : jobs) {
        if (earlier.label == name) job.after.push_back(name);
      }
    }
    jobs.push_back(finish(std::move(job), request));
  }
  return jobs;
}

std::vector<std::string> sbatch_command(const PlannedJob& job, const std::vector<std::string>& dependency_ids) {
  std::vector<std::string> command = {"sbatch", "--parsable"};
  if (!dependency_ids.empty()) {
    std::string dependency = "--dependency=afterok";
    for (const std::string& id : dependency_ids) dependency += ":" + id;
    command.push_back(dependency);
    // A failed stage cancels the stages waiting for it instead of leaving them pending forever.
    command.push_back("--kill-on-invalid-dep=yes");
  }
  command.push_back(job.script_path);
  return command;
}

std::string parse_job_id(const std::string& sbatch_output) {
  const std::string first_line = sbatch_output.substr(0, sbatch_output.find('\n'));
  std::string id = first_line.substr(0, first_line.find(';'));
  if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos) {
    throw Error(ExitCode::kFailure, "sbatch printed no job id (output: '" + first_line + "')");
  }
  return id;
}

std::vector<std::string> submit_jobs(const std::vector<PlannedJob>& jobs, std::ostream& log) {
  std::map<std::string, std::string> ids;  // label -> job id
  std::vector<std::string> submitted;
  for (const PlannedJob& job : jobs) {
    std::vector<std::string> dependency_ids;
    for (const std::string& label : job.after) dependency_ids.push_back(ids.at(label));
    try {
      fs::create_directories(fs::path(job.script_path).parent_path());
      write_file_atomically(job.script_path, job.script);
      const std::vector<std::string> command = sbatch_command(job, dependency_ids);
      const pipeline::CapturedRun run = pipeline::run_captured(command, kSbatchDeadlineS);
      if (run.exit_code != 0) {
        throw Error(ExitCode::kFailure,
                    "sbatch exited with code " + std::to_string(run.exit_code) + ": " + run.errors + run.output);
      }
      ids[job.label] = parse_job_id(run.output);
    } catch (const std::exception& e) {
      std::string already;
      for (std::size_t i = 0; i < submitted.size(); ++i) {
        already += (already.empty() ? "" : ", ") + jobs[i].label + " = job " + submitted[i];
      }
      throw Error(ExitCode::kFailure, "submitting " + job.label + " (" + job.script_path + "): " + e.what() +
                                          (already.empty() ? "" : "; already submitted: " + already));
    }
    submitted.push_back(ids[job.label]);
    log << "submitted " << job.label << " as job " << ids[job.label] << " (logs: " << job.spec.log_file << ")"
        << std::endl;
  }
  return submitted;
}

}  // namespace spct::submit
