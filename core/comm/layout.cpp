#include "core/comm/layout.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <sstream>

#include "core/error.h"

namespace spct::comm {

std::string role_name(Role role) {
  switch (role) {
    case Role::kOrchestrator: return "orchestrator";
    case Role::kRollout: return "rollout worker";
    case Role::kReward: return "reward worker";
    case Role::kLearner: return "learner";
    case Role::kColocated: return "colocated (all roles)";
  }
  return "unknown role";
}

int RankLayout::required_world_size(const config::LayoutSection& layout) {
  if (layout.colocate) return 1;
  return static_cast<int>(1 + layout.rollout_workers + layout.reward_workers + layout.learners);
}

RankLayout RankLayout::plan(const config::LayoutSection& layout, int64_t threads, const std::vector<NodeInfo>& nodes) {
  const int world_size = static_cast<int>(nodes.size());
  const int required = required_world_size(layout);
  if (world_size != required) {
    throw UsageError(
        layout.colocate
            ? fmt::format("the job has {} MPI ranks, but layout.colocate needs exactly 1", world_size)
            : fmt::format("the job has {} MPI ranks, but the layout needs {} (1 orchestrator + {} rollout workers + "
                          "{} reward workers + {} learners); start it with mpirun -n {} or change layout.*",
                          world_size, required, layout.rollout_workers, layout.reward_workers, layout.learners,
                          required));
  }

  // Role of each rank, in the documented order.
  std::vector<std::pair<Role, int>> roles;  // role, role_index
  if (layout.colocate) {
    roles.emplace_back(Role::kColocated, 0);
  } else {
    roles.emplace_back(Role::kOrchestrator, 0);
    const auto add = [&](Role role, int64_t count) {
      for (int64_t i = 0; i < count; ++i) roles.emplace_back(role, static_cast<int>(i));
    };
    add(Role::kRollout, layout.rollout_workers);
    add(Role::kReward, layout.reward_workers);
    add(Role::kLearner, layout.learners);
  }

  std::map<int, int> ranks_on_node;
  std::map<int, bool> launcher_knows;  // node -> every rank on it reported the launcher's local rank
  for (const NodeInfo& node : nodes) {
    ++ranks_on_node[node.node];
    launcher_knows.try_emplace(node.node, true);
    if (node.launcher_local_rank < 0) launcher_knows[node.node] = false;
  }

  std::vector<RankPlacement> ranks;
  ranks.reserve(nodes.size());
  std::map<int, int> next_local;                        // node -> next local rank
  std::map<std::pair<int, Role>, int> next_role_local;  // (node, role) -> next role-local rank
  for (int rank = 0; rank < world_size; ++rank) {
    const NodeInfo& node = nodes[static_cast<size_t>(rank)];
    RankPlacement p;
    p.rank = rank;
    p.role = roles[static_cast<size_t>(rank)].first;
    p.role_index = roles[static_cast<size_t>(rank)].second;
    p.node = node.node;
    p.hostname = node.hostname;
    p.local_rank = next_local[node.node]++;
    if (launcher_knows[node.node]) p.local_rank = node.launcher_local_rank;
    p.role_local_rank = next_role_local[{node.node, p.role}]++;
    p.threads = threads > 0 ? static_cast<int>(threads) : std::max(1, node.cores / ranks_on_node[node.node]);
    ranks.push_back(std::move(p));
  }

  // GPUs: the ranks of a node that see the same devices share them out, learners first (they need a GPU of their
  // own for NCCL), then rollout and reward workers; the orchestrator holds no model.
  const auto priority = [](Role role) {
    switch (role) {
      case Role::kLearner:
      case Role::kColocated: return 0;
      case Role::kRollout: return 1;
      case Role::kReward: return 2;
      case Role::kOrchestrator: return 3;
    }
    return 3;
  };
  std::vector<int> order(static_cast<size_t>(world_size));
  for (int rank = 0; rank < world_size; ++rank) order[static_cast<size_t>(rank)] = rank;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return priority(ranks[static_cast<size_t>(a)].role) < priority(ranks[static_cast<size_t>(b)].role);
  });
  std::map<std::pair<int, std::vector<std::string>>, int> next_gpu;  // (node, visible ids) -> next position
  for (int rank : order) {
    RankPlacement& p = ranks[static_cast<size_t>(rank)];
    const std::vector<std::string>& gpus = nodes[static_cast<size_t>(rank)].gpus;
    if (gpus.empty() || p.role == Role::kOrchestrator) continue;
    const int position = next_gpu[{p.node, gpus}]++;
    p.device = position % static_cast<int>(gpus.size());
    p.gpu = gpus[static_cast<size_t>(p.device)];
  }
  return RankLayout(std::move(ranks), layout.colocate);
}

RankLayout RankLayout::plan_single_node(const config::LayoutSection& layout, int64_t threads, int cores,
                                        const std::vector<std::string>& gpus) {
  const std::vector<NodeInfo> nodes(static_cast<size_t>(required_world_size(layout)),
                                    NodeInfo{.node = 0, .hostname = "node0", .cores = cores, .gpus = gpus});
  return plan(layout, threads, nodes);
}

RankLayout RankLayout::uniform(Role role, int world_size) {
  std::vector<RankPlacement> ranks;
  ranks.reserve(static_cast<size_t>(world_size));
  for (int rank = 0; rank < world_size; ++rank) {
    ranks.push_back(RankPlacement{.rank = rank,
                                  .role = role,
                                  .role_index = rank,
                                  .node = 0,
                                  .hostname = "localhost",
                                  .local_rank = rank,
                                  .role_local_rank = rank,
                                  .device = -1,
                                  .threads = 1});
  }
  return RankLayout(std::move(ranks), role == Role::kColocated);
}

bool same_gpu(const RankPlacement& a, const RankPlacement& b) {
  return a.device >= 0 && b.device >= 0 && a.node == b.node && a.gpu == b.gpu;
}

bool RankLayout::distinct_gpus(const std::vector<int>& ranks) const {
  for (size_t i = 0; i < ranks.size(); ++i) {
    if (at(ranks[i]).device < 0) return false;
    for (size_t j = 0; j < i; ++j) {
      if (same_gpu(at(ranks[i]), at(ranks[j]))) return false;
    }
  }
  return true;
}

std::vector<int> RankLayout::ranks_of(Role role) const {
  std::vector<int> out;
  for (const RankPlacement& p : ranks_) {
    if (p.role == role || p.role == Role::kColocated) out.push_back(p.rank);
  }
  return out;
}

std::string RankLayout::describe(int rank) const {
  if (rank < 0 || rank >= world_size()) return fmt::format("rank {} (not in the layout)", rank);
  return fmt::format("rank {} ({})", rank, role_name(at(rank).role));
}

std::string RankLayout::table() const {
  size_t host_width = 4;
  for (const RankPlacement& p : ranks_) host_width = std::max(host_width, p.hostname.size() + 4);
  size_t gpu_width = 3;
  for (const RankPlacement& p : ranks_) gpu_width = std::max(gpu_width, p.gpu.size());
  std::string out = fmt::format("{:>4}  {:<22}  {:<{}}  {:>10}  {:>6}  {:<{}}  {:>7}\n", "rank", "role", "node",
                                host_width, "local rank", "device", "gpu", gpu_width, "threads");
  for (const RankPlacement& p : ranks_) {
    const std::string role = p.role == Role::kOrchestrator || p.role == Role::kColocated
                                 ? role_name(p.role)
                                 : fmt::format("{} {}", role_name(p.role), p.role_index);
    const std::string node = fmt::format("{} ({})", p.node, p.hostname);
    const std::string device = p.device < 0 ? "cpu" : std::to_string(p.device);
    out += fmt::format("{:>4}  {:<22}  {:<{}}  {:>10}  {:>6}  {:<{}}  {:>7}\n", p.rank, role, node, host_width,
                       p.local_rank, device, p.gpu.empty() ? "-" : p.gpu, gpu_width, p.threads);
  }
  return out;
}

int visible_devices_from_env() {
  return static_cast<int>(visible_gpus_from_env(0).size());
}

std::vector<std::string> visible_gpus_from_env(int fallback_count) {
  std::vector<std::string> out;
  const char* value = std::getenv("CUDA_VISIBLE_DEVICES");
  if (value == nullptr) {
    for (int i = 0; i < fallback_count; ++i) out.push_back(std::to_string(i));
    return out;
  }
  std::stringstream list(value);
  std::string entry;
  while (std::getline(list, entry, ',')) {
    // CUDA stops at the first invalid entry; "-1" is the usual way to hide every device.
    if (entry.empty() || entry.front() == '-') break;
    out.push_back(entry);
  }
  return out;
}

int launcher_local_rank_from_env() {
  for (const char* name : {"OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID", "MPI_LOCALRANKID"}) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') continue;
    char* end = nullptr;
    const long parsed = std::strtol(value, &end, 10);
    if (*end != '\0' || parsed < 0 || parsed > 1 << 20) return -1;
    return static_cast<int>(parsed);
  }
  return -1;
}

}  // namespace spct::comm
