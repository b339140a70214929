// How the OpenMP threads of an spct process wait between parallel regions. libgomp (LibTorch's intra-op threads;
// the torch wheel ships its own copy, torch/lib/libgomp.so.1) reads OMP_WAIT_POLICY and GOMP_SPINCOUNT once, in
// its constructor, before main() runs: setting them inside main is too late, so spct sets them and starts itself
// again.
//
// Why it matters both ways:
// - On a node the job has to itself, a worker that blocks after every region must be woken through the kernel
//   for the next one (tens of microseconds), and a decode step is hundreds of small regions: passive waiting made
//   a batch-64 decode step 1.3x slower at Qwen2.5-0.5B's shape and 1.6x at the tiny shape (docs/benchmarks.md).
//   A short spin (GOMP_SPINCOUNT=kShortSpinCount) catches the next region without the wake-up.
// - On a shared or oversubscribed node a spinning worker takes the core that the thread it waits for needs:
//   libgomp's default spin made a colocated GRPO step 10x slower at load 8, and even the short spin ran three
//   oversubscribed decodes 2.5x slower than passive waiting. There spct waits passively.
#pragma once

#include <string>

namespace spct::run {

// libgomp spin iterations before a waiting thread blocks, when the node has room: 5000 pause instructions, 0.12 ms
// on the build machine's AMD EPYC (libgomp's own default is 300000). As fast as a spin 4x longer on a decode
// step, and oversubscribed a little less harmful.
inline constexpr long kShortSpinCount = 5000;

// What a process sees of its node when it starts.
struct NodeOccupancy {
  double load_average = 0;  // the 1-minute load average: work already running on the node
  int ranks_on_node = 1;    // processes of this job on the node (the launcher's local size; 1 when unknown)
  int cpus = 1;             // CPUs this process may run on
};

// True when the job's threads can spin without taking cores that other work needs: ranks_on_node +
// load_average <= cpus (spct gives each rank its share of the cores, so the ranks alone fill the node at most).
bool node_has_room_to_spin(const NodeOccupancy& node);

// The launcher's count of this job's processes on this node, from the environment: Open MPI's
// OMPI_COMM_WORLD_LOCAL_SIZE, MPICH's MPI_LOCALNRANKS, or SLURM's SLURM_STEP_TASKS_PER_NODE ("2(x3),1")
// at SLURM_NODEID; 1 when none says (a process started on its own).
int launcher_local_size_from_env();

// The node as this process sees it now: getloadavg, the CPUs in its affinity mask, launcher_local_size_from_env.
NodeOccupancy measure_node_occupancy();

// Chooses the wait policy and restarts the process with it, unless the environment already decides it
// (OMP_WAIT_POLICY or GOMP_SPINCOUNT set by the user, a launcher or the first image: then it returns at once).
// SPCT_OPENMP_WAIT picks the policy: "spin" (GOMP_SPINCOUNT=kShortSpinCount), "passive" (OMP_WAIT_POLICY=PASSIVE)
// or "auto" / unset (spin when node_has_room_to_spin(measure_node_occupancy()), else passive). The restart is an
// execv of /proc/self/exe with the same arguments, before any thread, file or MPI state exists; it also sets
// SPCT_OPENMP_WAIT_CHOICE to a sentence saying what was chosen and why (openmp_wait_in_force()). When the restart
// fails the process warns on stderr and goes on with libgomp's default. Throws spct::UsageError for another
// SPCT_OPENMP_WAIT. Call first thing in main(); the restart loads LibTorch a second time.
void configure_openmp_wait(char** argv);

// For a process about to start `ranks` spct processes on this node (the local launch's mpirun): makes the choice
// again for them, into the environment they inherit, when configure_openmp_wait made it for this one (a
// choice made for a single process would spin `ranks` of them on cores they share). Variables the user set
// stay as they are.
void choose_openmp_wait_for_local_ranks(int ranks);

// One line for the run's log: the policy this process's libgomp runs with and, when spct chose it, why.
std::string openmp_wait_in_force();

}  // namespace spct::run
