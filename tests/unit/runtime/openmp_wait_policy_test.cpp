// run::configure_openmp_wait and its pieces. The probe (openmp_idle_probe.cpp) starts as spct does and reports
// the variables its restarted image runs with and how much CPU its idle OpenMP workers (LibTorch's, through the
// torch wheel's libgomp) take; an ACTIVE probe shows that the measurement can see spinning.
#include "orchestrator/run/openmp_wait_policy.h"

#include <stdlib.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <initializer_list>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct ProbeResult {
  int exit_code = -1;
  std::string policy;
  std::string spin_count;
  double idle_cpu_share = -1;
  std::string libgomp;
  std::string in_force;  // run::openmp_wait_in_force() as the probe logged it
  std::string output;    // stdout and stderr
};

// Runs the probe under `env <environment>`, without any wait variable of the caller's environment.
ProbeResult run_probe(const std::string& environment) {
  const std::string command =
      "env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT -u SPCT_OPENMP_WAIT -u "
      "SPCT_OPENMP_WAIT_CHOICE " +
      environment + " " + SPCT_OPENMP_IDLE_PROBE + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  ProbeResult result;
  char buffer[4096];
  while (fgets(buffer, sizeof buffer, pipe) != nullptr) result.output += buffer;
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::istringstream line(result.output);
  line >> result.policy >> result.spin_count >> result.idle_cpu_share >> result.libgomp;
  std::getline(line >> std::ws, result.in_force);
  return result;
}

// Sets an environment variable for one scope and restores what was there.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value != nullptr) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// Unsets environment variables for one scope and restores what was there.
class ClearedEnv {
 public:
  explicit ClearedEnv(std::initializer_list<const char*> names) {
    for (const char* name : names) cleared_.push_back(std::make_unique<ScopedEnv>(name, nullptr));
  }

 private:
  std::vector<std::unique_ptr<ScopedEnv>> cleared_;
};

}  // namespace

TEST_CASE("threads spin only when the job's ranks and the load fit the CPUs") {
  using spct::run::node_has_room_to_spin;
  CHECK(node_has_room_to_spin({.load_average = 0.0, .ranks_on_node = 1, .cpus = 2}));
  CHECK(node_has_room_to_spin({.load_average = 1.0, .ranks_on_node = 1, .cpus = 2}));  // exactly full
  CHECK_FALSE(node_has_room_to_spin({.load_average = 1.2, .ranks_on_node = 1, .cpus = 2}));
  CHECK_FALSE(node_has_room_to_spin({.load_average = 0.0, .ranks_on_node = 4, .cpus = 2}));  // ranks oversubscribe
  CHECK_FALSE(node_has_room_to_spin({.load_average = 6.0, .ranks_on_node = 1, .cpus = 2}));  // a loaded CI machine
  CHECK(node_has_room_to_spin({.load_average = 3.0, .ranks_on_node = 8, .cpus = 64}));       // a cluster node
}

TEST_CASE("the launcher's local size comes from Open MPI, MPICH or SLURM's per-node task list") {
  using spct::run::launcher_local_size_from_env;
  const ClearedEnv launchers(
      {"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "SLURM_STEP_TASKS_PER_NODE", "SLURM_NODEID"});
  CHECK(launcher_local_size_from_env() == 1);  // started on its own
  {
    const ScopedEnv set("OMPI_COMM_WORLD_LOCAL_SIZE", "5");
    CHECK(launcher_local_size_from_env() == 5);
  }
  {
    const ScopedEnv set("MPI_LOCALNRANKS", "3");
    CHECK(launcher_local_size_from_env() == 3);
  }
  {
    const ScopedEnv list("SLURM_STEP_TASKS_PER_NODE", "2(x3),1");
    for (const auto& [node_id, expected] : {std::pair{"0", 2}, {"2", 2}, {"3", 1}, {"4", 1}}) {
      const ScopedEnv id("SLURM_NODEID", node_id);
      INFO("SLURM_NODEID=" << node_id);
      CHECK(launcher_local_size_from_env() == expected);
    }
  }
  for (const char* malformed : {"", "x", "2(x", "2(x3)junk", "-1", "0"}) {
    const ScopedEnv list("SLURM_STEP_TASKS_PER_NODE", malformed);
    const ScopedEnv id("SLURM_NODEID", "0");
    INFO("SLURM_STEP_TASKS_PER_NODE='" << malformed << "'");
    CHECK(launcher_local_size_from_env() == 1);
  }
  {
    const ScopedEnv bad("OMPI_COMM_WORLD_LOCAL_SIZE", "4x");
    CHECK(launcher_local_size_from_env() == 1);
  }
}

TEST_CASE("spct restarts with the wait policy it chose, and idle workers block either way") {
  const ProbeResult passive = run_probe("SPCT_OPENMP_WAIT=passive");
  const ProbeResult spin = run_probe("SPCT_OPENMP_WAIT=spin");
  const ProbeResult active = run_probe("OMP_WAIT_POLICY=ACTIVE");
  INFO("passive: " << passive.output << "spin: " << spin.output << "active: " << active.output);
  REQUIRE(passive.exit_code == 0);
  REQUIRE(spin.exit_code == 0);
  REQUIRE(active.exit_code == 0);
  CHECK(passive.policy == "PASSIVE");
  CHECK(passive.spin_count == "unset");
  CHECK(passive.in_force.find("spct chose it: SPCT_OPENMP_WAIT=passive") != std::string::npos);
  CHECK(spin.policy == "unset");
  CHECK(spin.spin_count == std::to_string(spct::run::kShortSpinCount));
  CHECK(spin.in_force.find("short spin") != std::string::npos);
  CHECK(active.policy == "ACTIVE");  // a policy the user set is kept
  CHECK(active.spin_count == "unset");
  CHECK(active.in_force.find("from the environment") != std::string::npos);
  // One OpenMP runtime, the one the measurement is about (the torch wheel's own copy, not a second one).
  // (Positions, not the strings: Catch2 2's console reporter loops on a long word such as a path.)
  CHECK(passive.libgomp.find("libgomp") != std::string::npos);
  CHECK(passive.libgomp.find(',') == std::string::npos);
  // Spinning workers take up to a whole core through the 5 ms pauses (measured 0.16 at load 14 on 2 cores);
  // blocked ones wake 100 times for a few microseconds (0.003-0.03). The short spin blocks after ~0.1 ms.
  CHECK(passive.idle_cpu_share < 0.1);
  CHECK(spin.idle_cpu_share < 0.1);
  CHECK(active.idle_cpu_share > 2 * passive.idle_cpu_share);
}

TEST_CASE("auto waits passively when the job's ranks alone fill the node, and names why") {
  // More local ranks than any test machine has CPUs: passive whatever the load.
  const ProbeResult crowded = run_probe("OMPI_COMM_WORLD_LOCAL_SIZE=4096");
  INFO(crowded.output);
  REQUIRE(crowded.exit_code == 0);
  CHECK(crowded.policy == "PASSIVE");
  CHECK(crowded.in_force.find("4096 ranks on this node + load") != std::string::npos);
}

TEST_CASE("a wrong SPCT_OPENMP_WAIT is refused with its value, exit 2") {
  const ProbeResult wrong = run_probe("SPCT_OPENMP_WAIT=fast");
  CHECK(wrong.exit_code == 2);
  CHECK(wrong.output.find("SPCT_OPENMP_WAIT is 'fast'; expected spin, passive or auto") != std::string::npos);
}

TEST_CASE("a local launch chooses again for its ranks, and leaves the user's variables alone") {
  using spct::run::choose_openmp_wait_for_local_ranks;
  const ClearedEnv waits({"OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "SPCT_OPENMP_WAIT", "SPCT_OPENMP_WAIT_CHOICE"});
  SECTION("spct's choice for one process becomes the choice for the ranks") {
    setenv("GOMP_SPINCOUNT", "5000", 1);  // as configure_openmp_wait left it on an idle node
    setenv("SPCT_OPENMP_WAIT_CHOICE", "short spin (spct chose it: 1 rank ...)", 1);
    choose_openmp_wait_for_local_ranks(4096);
    CHECK(std::getenv("GOMP_SPINCOUNT") == nullptr);
    REQUIRE(std::getenv("OMP_WAIT_POLICY") != nullptr);
    CHECK(std::string(std::getenv("OMP_WAIT_POLICY")) == "PASSIVE");
    CHECK(std::string(std::getenv("SPCT_OPENMP_WAIT_CHOICE")).find("4096 ranks") != std::string::npos);
  }
  SECTION("an explicit SPCT_OPENMP_WAIT holds for the ranks too") {
    setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    setenv("SPCT_OPENMP_WAIT_CHOICE", "passive (spct chose it: ...)", 1);
    setenv("SPCT_OPENMP_WAIT", "spin", 1);
    choose_openmp_wait_for_local_ranks(4096);
    CHECK(std::getenv("OMP_WAIT_POLICY") == nullptr);
    REQUIRE(std::getenv("GOMP_SPINCOUNT") != nullptr);
    CHECK(std::string(std::getenv("GOMP_SPINCOUNT")) == std::to_string(spct::run::kShortSpinCount));
  }
  SECTION("variables the user set are kept") {
    setenv("OMP_WAIT_POLICY", "ACTIVE", 1);
    choose_openmp_wait_for_local_ranks(4096);
    CHECK(std::string(std::getenv("OMP_WAIT_POLICY")) == "ACTIVE");
    CHECK(std::getenv("GOMP_SPINCOUNT") == nullptr);
  }
}
