// Job scripts: the template's placeholders filled in, per-task selection for arrays, and valid bash.
#include "orchestrator/submit/job_script.h"

#include <catch2/catch.hpp>

#include "core/error.h"
#include "orchestrator/pipeline/child_process.h"
#include "tests/unit/config/test_files.h"

using Catch::Matchers::Contains;
using namespace spct::submit;

namespace {

JobSpec sample_job(std::size_t tasks) {
  JobSpec job;
  job.name = "demo";
  job.working_dir = "/work dir";
  job.log_file = "/runs/demo/slurm-%j.out";
  job.ntasks = 4;
  job.slurm.time = "30";
  job.slurm.setup = {"module load openmpi", "export NCCL_DEBUG=WARN"};
  job.spct_executable = "/opt/spct/bin/spct";
  job.generated_by = "spct submit demo.yaml";
  for (std::size_t i = 0; i < tasks; ++i) {
    job.tasks.push_back(JobTask{{"train", "/cfg/demo.yaml", "run.name=r" + std::to_string(i), "data.task="},
                                "/runs/demo/r" + std::to_string(i)});
  }
  return job;
}

// `bash -n`: the script parses.
void check_bash_syntax(const std::string& script) {
  spct::testing::TempDir dir;
  const auto run = spct::pipeline::run_captured({"bash", "-n", dir.write("job.sbatch", script)}, 10);
  INFO(run.errors);
  CHECK(run.exit_code == 0);
}

}  // namespace

TEST_CASE("the built-in template renders a requeueable job that runs spct under srun", "[job_script]") {
  const std::string script = render_job_script(sample_job(1), default_job_template());
  CHECK(script.rfind("#!/bin/bash\n", 0) == 0);
  CHECK_THAT(script, Contains("# Written by: spct submit demo.yaml"));
  CHECK_THAT(script, Contains("#SBATCH --ntasks=4\n"));
  CHECK_THAT(script, Contains("#SBATCH --requeue\n"));
  CHECK_THAT(script, Contains("#SBATCH --open-mode=append\n"));
  CHECK_THAT(script, Contains("#SBATCH --signal=B:USR1@120\n"));
  CHECK_THAT(script, Contains("#SBATCH --chdir=/work dir\n"));
  CHECK_THAT(script, Contains("run_dir=/runs/demo/r0\n"));
  CHECK_THAT(script, Contains("spct_command=(/opt/spct/bin/spct train /cfg/demo.yaml run.name=r0 data.task=)"));
  CHECK_THAT(script, Contains("module load openmpi\nexport NCCL_DEBUG=WARN\n"));
  CHECK_THAT(script, Contains("srun --mpi=pmix --kill-on-bad-exit=1 --distribution=block \"${spct_command[@]}\" &"));
  CHECK_THAT(script, Contains("scontrol requeue \"$SLURM_JOB_ID\""));
  CHECK(script.find("{{") == std::string::npos);
  CHECK(script.find("--array") == std::string::npos);
  check_bash_syntax(script);
}

TEST_CASE("a sweep becomes an array job whose tasks pick their own run", "[job_script]") {
  const std::string script = render_job_script(sample_job(3), default_job_template());
  CHECK_THAT(script, Contains("#SBATCH --array=0-2\n"));
  CHECK_THAT(script, Contains("case \"${SLURM_ARRAY_TASK_ID:-}\" in\n  0)\n    run_dir=/runs/demo/r0\n"));
  CHECK_THAT(script, Contains("  2)\n    run_dir=/runs/demo/r2\n"));
  check_bash_syntax(script);
  // The selection really picks task 1's run: run the rendered block in bash.
  const std::string block =
      script.substr(script.find("case \"${SLURM"), script.find("esac") + 4 - script.find("case \"${SLURM"));
  const auto run = spct::pipeline::run_captured(
      {"bash", "-c", "SLURM_ARRAY_TASK_ID=1\n" + block + "\necho \"$run_dir ${spct_command[3]}\""}, 10);
  CHECK(run.output == "/runs/demo/r1 run.name=r1\n");
  const auto bad = spct::pipeline::run_captured({"bash", "-c", "SLURM_ARRAY_TASK_ID=7\n" + block}, 10);
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.errors, Contains("no array task '7' in this script (0-2)"));
}

TEST_CASE("user templates with unknown or missing placeholders are refused", "[job_script]") {
  const std::string all = "{{generated_by}}\n{{sbatch_options}}\n{{task_selection}}\n{{setup}}\n{{srun_command}}\n";
  CHECK_NOTHROW(render_job_script(sample_job(1), all));
  CHECK_THROWS_WITH(render_job_script(sample_job(1), all + "\n{{partition}}\n"),
                    Contains("job template line 7: unknown placeholder {{partition}}"));
  CHECK_THROWS_WITH(render_job_script(sample_job(1), all + "{{setup"), Contains("{{setup (no closing }})"));
  CHECK_THROWS_WITH(render_job_script(sample_job(1), "{{sbatch_options}}\n"),
                    Contains("the job template has no {{generated_by}} placeholder"));
}
