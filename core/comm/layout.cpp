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

RankLayout RankLayout::plan(const config::LayoutSection& layout, int64_t threads, const std::vector<NodeInfo>& nodes,
                            int visible_devices) {
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
  for (const NodeInfo& node : nodes) ++ranks_on_node[node.node];

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
    p.role_local_rank = next_role_local[{node.node, p.role}]++;
    p.device = visible_devices > 0 ? p.role_local_rank % visible_devices : -1;
    p.threads = threads > 0 ? static_cast<int>(threads) : std::max(1, node.cores / ranks_on_node[node.node]);
    ranks.push_back(std::move(p));
  }
  return RankLayout(std::move(ranks), layout.colocate);
}

RankLayout RankLayout::plan_single_node(const config::LayoutSection& layout, int64_t threads, int cores,
                                        int visible_devices) {
  const std::vector<NodeInfo> nodes(static_cast<size_t>(required_world_size(layout)),
                                    NodeInfo{.node = 0, .hostname = "node0", .cores = cores});
  return plan(layout, threads, nodes, visible_devices);
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
  std::string out = fmt::format("{:>4}  {:<22}  {:<{}}  {:>10}  {:>6}  {:>7}\n", "rank", "role", "node", host_width,
                                "local rank", "device", "threads");
  for (const RankPlacement& p : ranks_) {
    const std::string role = p.role == Role::kOrchestrator || p.role == Role::kColocated
                                 ? role_name(p.role)
                                 : fmt::format("{} {}", role_name(p.role), p.role_index);
    const std::string node = fmt::format("{} ({})", p.node, p.hostname);
    const std::string device = p.device < 0 ? "cpu" : std::to_string(p.device);
    out += fmt::format("{:>4}  {:<22}  {:<{}}  {:>10}  {:>6}  {:>7}\n", p.rank, role, node, host_width, p.local_rank,
                       device, p.threads);
  }
  return out;
}

int visible_devices_from_env() {
  const char* value = std::getenv("CUDA_VISIBLE_DEVICES");
  if (value == nullptr) return 0;
  std::stringstream list(value);
  std::string entry;
  int count = 0;
  while (std::getline(list, entry, ',')) {
    // CUDA stops at the first invalid entry; "-1" is the usual way to hide every device.
    if (entry.empty() || entry.front() == '-') break;
    ++count;
  }
  return count;
}

}  // namespace spct::comm
