// The rank layout of a job: which role each MPI rank plays, which node it runs on, which GPU it drives and how
// many intra-op threads it may use. Computed from config::LayoutSection, the world size and where each rank
// landed, so it is a pure function: `spct train --dry-run` prints it without MPI, and World (world.h) builds
// the MPI communicators from it.
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
  int node = 0;          // index of the node, in order of the node's lowest rank
  std::string hostname;  // for the table only
  int cores = 1;         // hardware threads on the node
};

// Everything the layout says about one rank.
struct RankPlacement {
  int rank = 0;
  Role role = Role::kOrchestrator;
  int role_index = 0;  // index among the ranks of the same role (learner 2 of 4 has role_index 2)
  int node = 0;
  std::string hostname;
  int local_rank = 0;       // index among the ranks on the same node
  int role_local_rank = 0;  // index among the ranks of the same role on the same node
  int device = -1;          // CUDA device index, or -1 when the node has no visible device
  int threads = 1;          // intra-op threads this rank should use
};

class RankLayout {
 public:
  // Lays out `nodes.size()` ranks (nodes[r] says where rank r runs).
  // `threads`: config run.threads; 0 gives each rank max(1, cores on its node / ranks on its node).
  // `visible_devices`: CUDA devices each node exposes (0 = CPU only); a rank's device is its role_local_rank
  // modulo visible_devices, so the ranks of one role spread over a node's devices.
  // Throws spct::UsageError naming both numbers when the world size differs from what `layout` needs.
  static RankLayout plan(const config::LayoutSection& layout, int64_t threads, const std::vector<NodeInfo>& nodes,
                         int visible_devices);

  // The layout of a job of the required size on one node with `cores` cores: what `--dry-run` prints, since
  // where ranks land is only known once they run.
  static RankLayout plan_single_node(const config::LayoutSection& layout, int64_t threads, int cores,
                                     int visible_devices);

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

  // A fixed-width table with a header row: rank, role, node (hostname), local rank, device ("cpu" or the
  // index), threads; one line per rank.
  std::string table() const;

 private:
  RankLayout(std::vector<RankPlacement> ranks, bool colocated) : ranks_(std::move(ranks)), colocated_(colocated) {}

  std::vector<RankPlacement> ranks_;
  bool colocated_;
};

// CUDA devices this process may use, from CUDA_VISIBLE_DEVICES (a comma-separated list; unset or empty = 0).
// The tensor-free core cannot ask the CUDA runtime; a CUDA build passes the runtime's count instead.
int visible_devices_from_env();

}  // namespace spct::comm
