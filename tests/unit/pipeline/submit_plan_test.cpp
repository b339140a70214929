// spct submit's plans: jobs for a config, a sweep and a pipeline, and their sbatch command lines.
#include "orchestrator/submit/submit_plan.h"

#include <catch2/catch.hpp>

#include "core/error.h"
#include "tests/unit/config/test_files.h"

using Catch::Matchers::Contains;
using namespace spct::submit;

namespace {

SubmitRequest request_for(const spct::testing::TempDir& dir) {
  SubmitRequest request;
  request.template_text = default_job_template();
  request.spct_executable = "/opt/spct";
  request.working_dir = dir.path();
  request.generated_by = "spct submit (test)";
  return request;
}

}  // namespace

TEST_CASE("a config becomes one job with as many tasks as its ranks", "[submit_plan]") {
  spct::testing::TempDir dir;
  const std::string config = dir.write("c.yaml", "run: {name: r, dir: " + dir.path() +
                                                     "/runs}\nlayout: {learners: 2}\nslurm: {time: '10', partition: "
                                                     "cpu}\n");
  SubmitRequest request = request_for(dir);
  request.choices.partition = "big";
  const auto jobs = plan_config(config, {"run.steps=4"}, request);
  REQUIRE(jobs.size() == 1);
  const PlannedJob& job = jobs[0];
  CHECK(job.label == "r");
  CHECK(job.spec.ntasks == 5);
  CHECK(job.spec.slurm.partition == "big");
  CHECK(job.spec.slurm.time == "10");
  CHECK(job.script_path == dir.path() + "/runs/r/job.sbatch");
  CHECK(job.spec.log_file == dir.path() + "/runs/r/slurm-%j.out");
  CHECK(job.spec.tasks[0].spct_arguments == std::vector<std::string>{"train", config, "run.steps=4"});
  CHECK_THAT(job.script, Contains("#SBATCH --ntasks=5\n#SBATCH --time=10\n#SBATCH --partition=big\n"));
  CHECK(sbatch_command(job, {}) == std::vector<std::string>{"sbatch", "--parsable", job.script_path});
}

TEST_CASE("a colocated run is a job of one task", "[submit_plan]") {
  spct::testing::TempDir dir;
  const auto jobs = plan_config("", {"layout.colocate=true", "run.dir=" + dir.path()}, request_for(dir));
  CHECK(jobs[0].spec.ntasks == 1);
  CHECK(jobs[0].spec.tasks[0].spct_arguments ==
        std::vector<std::string>{"train", "layout.colocate=true", "run.dir=" + dir.path()});
}

TEST_CASE("a sweep becomes one array job, each point in its own run directory", "[submit_plan]") {
  spct::testing::TempDir dir;
  SubmitRequest request = request_for(dir);
  request.sweeps = {parse_sweep("grpo.lr=1e-6,3e-6"), parse_sweep("run.seed=1,2")};
  const auto jobs = plan_config("", {"run.dir=" + dir.path(), "run.name=s"}, request);
  REQUIRE(jobs.size() == 1);
  const PlannedJob& job = jobs[0];
  REQUIRE(job.spec.tasks.size() == 4);
  CHECK(job.spec.tasks[3].run_dir == dir.path() + "/s/lr3e-6_seed2");
  CHECK(job.spec.tasks[3].spct_arguments.back() == "run.name=lr3e-6_seed2");
  CHECK(job.spec.log_file == dir.path() + "/s/slurm-%A_%a.out");
  CHECK_THAT(job.script, Contains("#SBATCH --array=0-3\n"));

  request.sweeps = {parse_sweep("layout.learners=1,2")};
  CHECK_THROWS_WITH(plan_config("", {"run.dir=" + dir.path()}, request), Contains("share one allocation size"));
  request.sweeps = {parse_sweep("rollout.group_size=4,x")};
  CHECK_THROWS_AS(plan_config("", {"run.dir=" + dir.path()}, request), spct::UsageError);
}

TEST_CASE("a pipeline becomes a chain of jobs, finished stages are not submitted", "[submit_plan]") {
  spct::testing::TempDir dir;
  dir.write("base.yaml", "layout: {colocate: true}\n");
  const std::string path =
      dir.write("p.yaml", "pipeline: {name: p, dir: " + dir.path() +
                              "/runs}\n"
                              "stages:\n"
                              "  - {name: a, config: base.yaml}\n"
                              "  - {name: b, config: base.yaml, overrides: [layout.colocate=false]}\n"
                              "  - {name: c, command: eval, config: base.yaml, after: [a, b]}\n");
  std::ostringstream log;
  auto jobs = plan_pipeline(spct::pipeline::load_pipeline(path, {}), request_for(dir), log);
  REQUIRE(jobs.size() == 3);
  CHECK(jobs[0].after.empty());
  CHECK(jobs[1].after == std::vector<std::string>{"a"});
  CHECK(jobs[1].spec.ntasks == 4);
  CHECK(jobs[2].after == std::vector<std::string>{"a", "b"});
  CHECK(jobs[2].spec.ntasks == 1);
  CHECK(jobs[2].spec.name == "p.c");
  CHECK(sbatch_command(jobs[2], {"11", "12"}) ==
        std::vector<std::string>{"sbatch", "--parsable", "--dependency=afterok:11:12", "--kill-on-invalid-dep=yes",
                                 dir.path() + "/runs/p/c/job.sbatch"});

  dir.write("runs/p/a/status.json", "{\"state\":\"finished\",\"step\":40}\n");
  jobs = plan_pipeline(spct::pipeline::load_pipeline(path, {}), request_for(dir), log);
  REQUIRE(jobs.size() == 2);
  CHECK(jobs[0].label == "b");
  CHECK(jobs[0].after.empty());
  CHECK(jobs[1].after == std::vector<std::string>{"b"});
  CHECK_THAT(log.str(), Contains("stage a already finished"));

  SubmitRequest sweep = request_for(dir);
  sweep.sweeps = {parse_sweep("run.seed=1,2")};
  CHECK_THROWS_WITH(plan_pipeline(spct::pipeline::load_pipeline(path, {}), sweep, log),
                    Contains("--sweep applies to one experiment config"));
}

TEST_CASE("job ids are read from sbatch --parsable", "[submit_plan]") {
  CHECK(parse_job_id("123\n") == "123");
  CHECK(parse_job_id("77;cluster\n") == "77");
  CHECK_THROWS_WITH(parse_job_id("sbatch: error: x\n"), Contains("sbatch printed no job id"));
  CHECK_THROWS_AS(parse_job_id(""), spct::Error);
}
