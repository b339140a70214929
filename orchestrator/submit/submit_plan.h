// `spct submit`: the SLURM jobs for an experiment config (one job, or one array job for a sweep) or for a
// pipeline (one job per unfinished stage, chained with --dependency=afterok), and their submission with sbatch.
//
// Every job script is written to the run directory it serves (`job.sbatch`, beside the `slurm-<job id>.out`
// logs), so a job can be resubmitted by hand with plain `sbatch`.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "orchestrator/pipeline/pipeline.h"
#include "orchestrator/submit/job_script.h"
#include "orchestrator/submit/slurm_options.h"
#include "orchestrator/submit/sweep.h"

namespace spct::submit {

struct SubmitRequest {
  SlurmChoices choices;           // the command line's sbatch options
  std::vector<SweepAxis> sweeps;  // empty: no sweep
  std::string template_text;      // default_job_template() or the user's
  std::string spct_executable;    // absolute path of the spct the job runs
  std::string working_dir;        // absolute; the job's --chdir
  std::string generated_by;       // the command line, for the script header
};

struct PlannedJob {
  std::string label;  // the run name, or the stage name of a pipeline
  JobSpec spec;
  std::string script;              // the rendered job script
  std::string script_path;         // where it is written for sbatch
  std::vector<std::string> after;  // labels of earlier planned jobs that must succeed first
};

// The job for `config_path` (empty: the embedded quickstart) with `overrides`, or the array job of the sweep.
// Every sweep point's config is loaded and checked. Throws spct::UsageError for a bad config, bad sbatch
// options, or sweep points that need different rank counts.
std::vector<PlannedJob> plan_config(const std::string& config_path, const std::vector<std::string>& overrides,
                                    const SubmitRequest& request);

// One job per stage whose run has not finished, in pipeline order; finished stages are reported to `log` and
// their dependents do not wait for them. Throws spct::UsageError when a sweep is requested (not supported for
// pipelines) or a stage's sbatch options are bad.
std::vector<PlannedJob> plan_pipeline(const pipeline::Pipeline& pipeline, const SubmitRequest& request,
                                      std::ostream& log);

// sbatch --parsable [--dependency=afterok:<id>:<id> --kill-on-invalid-dep=yes] <script_path>
std::vector<std::string> sbatch_command(const PlannedJob& job, const std::vector<std::string>& dependency_ids);

// The job id in sbatch --parsable output ("123" or "123;cluster"). Throws spct::Error when there is none.
std::string parse_job_id(const std::string& sbatch_output);

// Writes each job's script and submits the jobs in order, each depending on the ids of its `after` jobs.
// Returns the job ids in order. Throws spct::Error naming the job and sbatch's message when sbatch fails or does
// not answer within a minute; the message lists the jobs already submitted (they stay queued).
std::vector<std::string> submit_jobs(const std::vector<PlannedJob>& jobs, std::ostream& log);

}  // namespace spct::submit
