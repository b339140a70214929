// The rank layout of a job: which role each MPI rank plays, which node it runs on, which GPU it drives and how
// many intra-op threads it may use.
//
// GPUs: every rank reports the GPUs it can see (NodeInfo::gpus, each named by an id that is the same in every
// process on the node: the PCI bus id from the CUDA runtime, or the CUDA_VISIBLE_DEVICES entry). The ranks of a
// node that see the same GPUs share them out learners first, then rollout workers, then reward workers, round
// robin; the orchestrator holds no model and gets none. So with SLURM's --gpus-per-node=N every rank of a node
// sees the node's N GPUs and learners get GPUs of their own before anyone shares, and with per-task binding
// (--gpus-per-task=1) each rank keeps the one GPU it sees. Computed from config::LayoutSection, the world size and
// where each rank landed, so it is a pure function: `spct train --dry-run` prints it without MPI, and World (world.h)
// builds the MPI communicators from it.
//
// Ranks are numbered in role order: rank 0 is the orchestrator, then layout.rollout_workers rollout workers,
// layout.reward_workers reward workers and layout.learners learners. With layout.colocate the job is a single
// rank that plays every role.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config/config.h"

namespace spct::comm {

enum class Role { kOrchestrator, kRollout, kReward, kLearner, kColocated };

// "orchestrator", "rollout worker", "reward worker", "learner", "colocated (all roles)": how logs and stall
// reports name a role.
std::string role_name(Role role);

// Where one rank runs, as reported by the rank itself (World gathers these with MPI_Allgather).
struct NodeInfo {
  int node = 0;                     // index of the node, in order of the node's lowest rank
  std::string hostname;             // for the table only
  int cores = 1;                    // hardware threads on the node
  std::vector<std::string> gpus{};  // ids of the CUDA devices this rank sees, in CUDA's order (empty: none)
  int launcher_local_rank = -1;     // the launcher's local rank (launcher_local_rank_from_env()), -1 if unknown
};

// Everything the layout says about one rank.
struct RankPlacement {
  int rank = 0;
  Role role = Role::kOrchestrator;
  int role_index = 0;  // index among the ranks of the same role (learner 2 of 4 has role_index 2)
  int node = 0;
  std::string hostname;
  int local_rank = 0;       // index among the ranks on the same node (the launcher's, when it says)
  int role_local_rank = 0;  // index among the ranks of the same role on the same node
  int device = -1;          // CUDA device index in this rank's process, or -1: the rank computes on the CPU
  int threads = 1;          // intra-op threads this rank should use
  std::string gpu{};        // id of the device (NodeInfo::gpus), empty without one
};

// True when both ranks drive the same physical GPU (same node, same device id). NCCL cannot put two such ranks
// in one communicator; they exchange tensors through pinned host memory instead.
bool same_gpu(const RankPlacement& a, const RankPlacement& b);

class RankLayout {
 public:
  // Lays out `nodes.size()` ranks (nodes[r] says where rank r runs).
  // `threads`: config run.threads; 0 gives each rank max(1, cores on its node / ranks on its node).
  // Devices as the header says, from nodes[r].gpus.
  // Throws spct::UsageError naming both numbers when the world size differs from what `layout` needs.
  static RankLayout plan(const config::LayoutSection& layout, int64_t threads, const std::vector<NodeInfo>& nodes);

  // The layout of a job of the required size on one node with `cores` cores and `gpus` GPUs that every rank
  // sees: what `--dry-run` prints, since where ranks land is only known once they run.
  static RankLayout plan_single_node(const config::LayoutSection& layout, int64_t threads, int cores,
                                     const std::vector<std::string>& gpus);

  // A job of `world_size` ranks on one node that all play `role` (role_index = rank, one thread each, no
  // device): for programs that use the runtime without the orchestrator, such as bench/comm and tests of the
  // learners' gradient all-reduce.
  static RankLayout uniform(Role role, int world_size);

  // Ranks `layout` needs: 1 + rollout_workers + reward_workers + learners, or 1 when colocated.
  static int required_world_size(const config::LayoutSection& layout);

  int world_size() const { return static_cast<int>(ranks_.size()); }
  bool colocated() const { return colocated_; }

  // REQUIRES: 0 <= rank < world_size().
  const RankPlacement& at(int rank) const { return ranks_.at(static_cast<size_t>(rank)); }
  const std::vector<RankPlacement>& ranks() const { return ranks_; }

  // World ranks that play `role`, ascending. In a colocated job rank 0 plays every role.
  std::vector<int> ranks_of(Role role) const;

  // "rank 3 (reward worker)": how stall reports and failure logs name a rank.
  std::string describe(int rank) const;

  // True when no two of `ranks` share a GPU and all have one: NCCL can connect them.
  bool distinct_gpus(const std::vector<int>& ranks) const;

  // A fixed-width table with a header row: rank, role, node (hostname), local rank, device ("cpu" or the
  // index), gpu (its id, "-" without one), threads; one line per rank.
  std::string table() const;

 private:
  RankLayout(std::vector<RankPlacement> ranks, bool colocated) : ranks_(std::move(ranks)), colocated_(colocated) {}

  std::vector<RankPlacement> ranks_;
  bool colocated_;
};

// CUDA devices this process may use, from CUDA_VISIBLE_DEVICES (a comma-separated list; unset or empty = 0).
// The tensor-free core cannot ask the CUDA runtime; a CUDA build passes the runtime's count instead.
int visible_devices_from_env();

// The CUDA_VISIBLE_DEVICES entries (indices or GPU-/MIG- UUIDs) up to the first invalid one, as CUDA reads them;
// unset: "0" .. "n-1" for the `fallback_count` devices the caller knows of (0 when it knows none).
std::vector<std::string> visible_gpus_from_env(int fallback_count);

// This process's local rank on its node as the launcher says: OMPI_COMM_WORLD_LOCAL_RANK (Open MPI's mpirun),
// SLURM_LOCALID (srun), MPI_LOCALRANKID (MPICH/Hydra); -1 when none is set or the value is not a number.
int launcher_local_rank_from_env();

}  // namespace spct::comm
