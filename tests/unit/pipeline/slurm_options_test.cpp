// sbatch options: the config's slurm section, the command line on top, and the checks on both.
#include "orchestrator/submit/slurm_options.h"

#include <algorithm>
#include <catch2/catch.hpp>

#include "core/error.h"

using Catch::Matchers::Contains;
using namespace spct::submit;

namespace {

bool has(const std::vector<std::string>& lines, const std::string& line) {
  return std::find(lines.begin(), lines.end(), line) != lines.end();
}

}  // namespace

TEST_CASE("SLURM time formats are recognised and converted", "[slurm_options]") {
  for (const char* ok : {"", "30", "30:15", "2:00:00", "1-0", "1-12:30", "2-00:00:00", "infinite"}) {
    CHECK(is_slurm_time(ok));
  }
  for (const char* bad : {"2h", "1:2:3:4", "-5", "1-", "a-1", "10 min"}) CHECK_FALSE(is_slurm_time(bad));
  CHECK(slurm_time_seconds("30") == 1800);
  CHECK(slurm_time_seconds("30:15") == 1815);
  CHECK(slurm_time_seconds("2:00:05") == 7205);
  CHECK(slurm_time_seconds("1-2") == 93600);
  CHECK(slurm_time_seconds("1-0:30") == 88200);
  CHECK(slurm_time_seconds("1-0:0:9") == 86409);
  CHECK_FALSE(slurm_time_seconds("").has_value());
  CHECK_FALSE(slurm_time_seconds("infinite").has_value());
}

TEST_CASE("command-line choices override the config's slurm section", "[slurm_options]") {
  spct::config::SlurmSection section;
  section.partition = "cpu";
  section.time = "4:00:00";
  section.qos = "normal";
  SlurmChoices choices;
  choices.partition = "gpu";
  choices.nodes = 2;
  choices.signal_lead_s = 300;
  const spct::config::SlurmSection slurm = apply_choices(section, choices, "c.yaml");
  CHECK(slurm.partition == "gpu");
  CHECK(slurm.nodes == 2);
  CHECK(slurm.signal_lead_s == 300);
  CHECK(slurm.time == "4:00:00");
  CHECK(slurm.qos == "normal");
}

TEST_CASE("unusable sbatch options are refused, naming where they came from", "[slurm_options]") {
  spct::config::SlurmSection section;
  section.time = "2h";
  CHECK_THROWS_WITH(apply_choices(section, {}, "c.yaml"), Contains("slurm.time in c.yaml: '2h' is not a SLURM time"));
  SlurmChoices choices;
  choices.time = "1";
  CHECK_THROWS_WITH(apply_choices(section, choices, "c.yaml"),
                    Contains("the early signal comes 120 s before a time limit of 60 s (--time)"));
  choices.signal_lead_s = 30;
  CHECK(apply_choices(section, choices, "c.yaml").time == "1");
  choices.mpi = "";
  CHECK_THROWS_WITH(apply_choices(section, choices, "c.yaml"), Contains("slurm.mpi is empty"));
}

TEST_CASE("the sbatch lines ask for a requeueable, signalled job with append-mode logs", "[slurm_options]") {
  spct::config::SlurmSection slurm;
  slurm.time = "1:00:00";
  slurm.gpus_per_node = 4;
  slurm.cpus_per_task = 8;
  slurm.account = "proj";
  slurm.sbatch_lines = {"--constraint=a100"};
  const auto lines = sbatch_lines(slurm, 5, "job", "/work", "/runs/x/slurm-%j.out");
  for (const char* line : {"--job-name=job", "--chdir=/work", "--output=/runs/x/slurm-%j.out", "--open-mode=append",
                           "--requeue", "--nodes=1", "--ntasks=5", "--cpus-per-task=8", "--gpus-per-node=4",
                           "--time=1:00:00", "--account=proj", "--signal=B:USR1@120", "--constraint=a100"}) {
    CHECK(has(lines, line));
  }
  CHECK_FALSE(has(lines, "--partition="));
  slurm.nodes = 6;
  CHECK_THROWS_WITH(sbatch_lines(slurm, 5, "job", "/w", "/l"), Contains("5 rank(s) but asks for 6 nodes"));
  slurm.signal_lead_s = 0;
  slurm.nodes = 1;
  for (const std::string& line : sbatch_lines(slurm, 5, "job", "/w", "/l")) CHECK(line.rfind("--signal", 0) != 0);
}

TEST_CASE("srun starts the ranks in blocks with the configured MPI plugin, a single rank without one",
          "[slurm_options]") {
  spct::config::SlurmSection slurm;
  CHECK(srun_words(slurm, 4) ==
        std::vector<std::string>{"srun", "--mpi=pmix", "--kill-on-bad-exit=1", "--distribution=block"});
  CHECK(srun_words(slurm, 1) ==
        std::vector<std::string>{"srun", "--mpi=none", "--kill-on-bad-exit=1", "--distribution=block"});
  slurm.mpi = "pmix_v4";
  slurm.cpus_per_task = 4;
  slurm.srun_args = {"--gpu-bind=closest"};
  CHECK(srun_words(slurm, 2) == std::vector<std::string>{"srun", "--mpi=pmix_v4", "--kill-on-bad-exit=1",
                                                         "--distribution=block", "--cpus-per-task=4",
                                                         "--gpu-bind=closest"});
}
