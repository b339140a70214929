#include "orchestrator/run/openmp_wait_policy.h"

#include <fmt/format.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string_view>

#include "core/error.h"

namespace spct::run {
namespace {

constexpr const char* kChoiceVariable = "SPCT_OPENMP_WAIT_CHOICE";

// A count of at least `least`, or nullopt for anything else (unset, empty, trailing junk, absurd).
std::optional<int> parse_count(const char* text, int least) {
  if (text == nullptr || *text == '\0') return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const long value = std::strtol(text, &end, 10);
  if (errno != 0 || *end != '\0' || value < least || value > (1 << 20)) return std::nullopt;
  return static_cast<int>(value);
}

// SLURM_STEP_TASKS_PER_NODE lists tasks per node in node order, runs of equal counts as "count(xrepeat)":
// "2(x3),1" is nodes 0-2 with two tasks and node 3 with one. The count at `node`, or nullopt when malformed.
std::optional<int> slurm_tasks_on_node(std::string_view list, int node) {
  long first_node_of_entry = 0;
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::string entry(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    // "count" or "count(xrepeat)", nothing else.
    char* end = nullptr;
    const long count = std::strtol(entry.c_str(), &end, 10);
    long repeat = 1;
    if (std::strncmp(end, "(x", 2) == 0) {
      repeat = std::strtol(end + 2, &end, 10);
      if (*end++ != ')') return std::nullopt;
    }
    if (end == entry.c_str() || *end != '\0' || count < 1 || count > (1 << 20) || repeat < 1) return std::nullopt;
    if (node < first_node_of_entry + repeat) return static_cast<int>(count);
    first_node_of_entry += repeat;
  }
  return std::nullopt;
}

int cpus_of_this_process() {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  if (sched_getaffinity(0, sizeof mask, &mask) == 0) return std::max(1, CPU_COUNT(&mask));
  return static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
}

// What SPCT_OPENMP_WAIT asks for, decided for `ranks_on_node` processes of the job on this node and written into
// this process's environment (read by libgomp in a process started from it, this one's restart included).
// Returns the sentence saved in kChoiceVariable.
std::string choose_into_environment(int ranks_on_node) {
  const char* requested = std::getenv("SPCT_OPENMP_WAIT");
  const std::string_view mode = requested != nullptr && *requested != '\0' ? requested : "auto";
  bool spin = false;
  std::string why;
  if (mode == "spin" || mode == "passive") {
    spin = mode == "spin";
    why = fmt::format("SPCT_OPENMP_WAIT={}", mode);
  } else if (mode == "auto") {
    NodeOccupancy node = measure_node_occupancy();
    node.ranks_on_node = ranks_on_node;
    spin = node_has_room_to_spin(node);
    why = fmt::format("{} rank{} on this node + load {:.2f} {} {} CPUs", node.ranks_on_node,
                      node.ranks_on_node == 1 ? "" : "s", node.load_average, spin ? "<=" : ">", node.cpus);
  } else {
    throw UsageError(fmt::format("SPCT_OPENMP_WAIT is '{}'; expected spin, passive or auto", mode));
  }
  unsetenv("OMP_WAIT_POLICY");
  unsetenv("GOMP_SPINCOUNT");
  if (spin) {
    setenv("GOMP_SPINCOUNT", std::to_string(kShortSpinCount).c_str(), /*overwrite=*/1);
  } else {
    setenv("OMP_WAIT_POLICY", "PASSIVE", /*overwrite=*/1);
  }
  std::string choice = fmt::format("{} (spct chose it: {})",
                                   spin ? fmt::format("short spin, GOMP_SPINCOUNT={}", kShortSpinCount)
                                        : std::string("passive, OMP_WAIT_POLICY=PASSIVE"),
                                   why);
  setenv(kChoiceVariable, choice.c_str(), /*overwrite=*/1);
  return choice;
}

}  // namespace

bool node_has_room_to_spin(const NodeOccupancy& node) {
  return static_cast<double>(node.ranks_on_node) + node.load_average <= static_cast<double>(node.cpus);
}

int launcher_local_size_from_env() {
  for (const char* name : {"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS"}) {
    if (const std::optional<int> size = parse_count(std::getenv(name), 1)) return *size;
  }
  const char* tasks = std::getenv("SLURM_STEP_TASKS_PER_NODE");
  const std::optional<int> node = parse_count(std::getenv("SLURM_NODEID"), 0);
  if (tasks != nullptr && node.has_value()) {
    if (const std::optional<int> count = slurm_tasks_on_node(tasks, *node)) return *count;
  }
  return 1;
}

NodeOccupancy measure_node_occupancy() {
  NodeOccupancy node;
  double loads[1] = {0};
  if (getloadavg(loads, 1) == 1) node.load_average = loads[0];
  node.ranks_on_node = launcher_local_size_from_env();
  node.cpus = cpus_of_this_process();
  return node;
}

void configure_openmp_wait(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr || std::getenv("GOMP_SPINCOUNT") != nullptr) return;
  const std::string choice = choose_into_environment(launcher_local_size_from_env());
  execv("/proc/self/exe", argv);
  // Still running the first image: its libgomp keeps its default (spinning) policy, which is slow on a busy
  // machine but correct; processes it starts inherit the choice.
  std::fprintf(stderr, "spct: warning: cannot restart with the OpenMP wait policy chosen, %s: %s\n", choice.c_str(),
               std::strerror(errno));
}

void choose_openmp_wait_for_local_ranks(int ranks) {
  // Without spct's record of a choice the variables are the user's (or the restart failed): leave them.
  if (std::getenv(kChoiceVariable) == nullptr) return;
  choose_into_environment(ranks);
}

std::string openmp_wait_in_force() {
  const char* policy = std::getenv("OMP_WAIT_POLICY");
  const char* spin_count = std::getenv("GOMP_SPINCOUNT");
  const char* choice = std::getenv(kChoiceVariable);
  std::string what = fmt::format("OMP_WAIT_POLICY={} GOMP_SPINCOUNT={}", policy != nullptr ? policy : "(unset)",
                                 spin_count != nullptr ? spin_count : "(unset)");
  // The choice describes this environment only while the variables it set are the ones in force.
  const bool chosen_here = choice != nullptr && (policy == nullptr) != (spin_count == nullptr);
  return chosen_here ? what + ": " + choice : what + " (from the environment)";
}

}  // namespace spct::run
