// Rank layout: roles in order, node-local ranks, devices, threads, the world-size check and the table.
#include "core/comm/layout.h"

#include <catch2/catch.hpp>
#include <cstdlib>

#include "core/error.h"
#include "tests/unit/comm/layout_section.h"

using namespace spct::comm;
using Catch::Matchers::Contains;
using spct::comm::testing::layout_of;

TEST_CASE("ranks are assigned orchestrator, rollout, reward, learners", "[layout]") {
  const RankLayout layout = RankLayout::plan_single_node(layout_of(2, 1, 3), 0, 14, {});
  REQUIRE(layout.world_size() == 7);
  CHECK(layout.at(0).role == Role::kOrchestrator);
  CHECK(layout.at(1).role == Role::kRollout);
  CHECK(layout.at(2).role == Role::kRollout);
  CHECK(layout.at(2).role_index == 1);
  CHECK(layout.at(3).role == Role::kReward);
  CHECK(layout.at(4).role == Role::kLearner);
  CHECK(layout.at(6).role_index == 2);
  CHECK(layout.ranks_of(Role::kLearner) == std::vector<int>{4, 5, 6});
  CHECK(layout.ranks_of(Role::kRollout) == std::vector<int>{1, 2});
  CHECK(layout.describe(3) == "rank 3 (reward worker)");
  // 14 cores shared by 7 ranks on the node.
  for (const RankPlacement& p : layout.ranks()) CHECK(p.threads == 2);
  for (const RankPlacement& p : layout.ranks()) CHECK(p.device == -1);
}

TEST_CASE("a world size that does not fit names both numbers", "[layout]") {
  const std::vector<NodeInfo> five(5, NodeInfo{.node = 0, .hostname = "h", .cores = 2});
  CHECK_THROWS_AS(RankLayout::plan(layout_of(2, 1, 3), 0, five), spct::UsageError);
  CHECK_THROWS_WITH(RankLayout::plan(layout_of(2, 1, 3), 0, five),
                    Contains("the job has 5 MPI ranks, but the layout needs 7") && Contains("mpirun -n 7"));
  spct::config::LayoutSection colocated;
  colocated.colocate = true;
  CHECK_THROWS_WITH(RankLayout::plan(colocated, 0, five),
                    Contains("the job has 5 MPI ranks, but layout.colocate needs exactly 1"));
}

TEST_CASE("a colocated job is one rank that plays every role", "[layout]") {
  spct::config::LayoutSection colocated = layout_of(3, 3, 3);
  colocated.colocate = true;
  const RankLayout layout = RankLayout::plan_single_node(colocated, 0, 8, {});
  REQUIRE(layout.world_size() == 1);
  CHECK(layout.colocated());
  CHECK(layout.at(0).role == Role::kColocated);
  CHECK(layout.ranks_of(Role::kLearner) == std::vector<int>{0});
  CHECK(layout.ranks_of(Role::kRollout) == std::vector<int>{0});
  CHECK(layout.at(0).threads == 8);
}

TEST_CASE("local ranks, devices and threads follow the nodes", "[layout]") {
  // 2 nodes: ranks 0-3 on node 0 (16 cores), ranks 4-7 on node 1 (8 cores); 1 + 3 rollout + 1 reward + 3 learners.
  std::vector<NodeInfo> nodes;
  nodes.reserve(8);
  for (int r = 0; r < 8; ++r) {
    nodes.push_back(r < 4 ? NodeInfo{.node = 0, .hostname = "a", .cores = 16, .gpus = {"0", "1"}}
                          : NodeInfo{.node = 1, .hostname = "b", .cores = 8, .gpus = {"0", "1"}});
  }
  const RankLayout layout = RankLayout::plan(layout_of(3, 1, 3), 0, nodes);
  // Node 0: orchestrator, rollout 0-2. Node 1: reward, learners 0-2.
  CHECK(layout.at(3).local_rank == 3);
  CHECK(layout.at(4).local_rank == 0);
  CHECK(layout.at(4).node == 1);
  // Devices: round robin over each node's 2 GPUs, learners first, no GPU for the orchestrator.
  CHECK(layout.at(0).device == -1);
  CHECK(layout.at(1).device == 0);
  CHECK(layout.at(2).device == 1);
  CHECK(layout.at(3).device == 0);
  CHECK(layout.at(5).device == 0);  // learners 0-2 on node 1 come first ...
  CHECK(layout.at(6).device == 1);
  CHECK(layout.at(7).device == 0);
  CHECK(layout.at(4).device == 1);  // ... then the reward worker
  CHECK(layout.at(6).gpu == "1");
  CHECK(same_gpu(layout.at(5), layout.at(7)));
  CHECK_FALSE(same_gpu(layout.at(1), layout.at(5)));  // same index, other node
  CHECK_FALSE(layout.distinct_gpus({5, 6, 7}));
  CHECK(layout.distinct_gpus({5, 6}));
  CHECK(layout.at(0).threads == 4);  // 16 cores / 4 ranks
  CHECK(layout.at(5).threads == 2);  // 8 cores / 4 ranks
  // An explicit thread count wins; fewer cores than ranks still gives one thread.
  CHECK(RankLayout::plan(layout_of(3, 1, 3), 5, nodes).at(7).threads == 5);
  CHECK(RankLayout::plan_single_node(layout_of(3, 1, 3), 0, 2, {}).at(0).threads == 1);
}

TEST_CASE("the table lists every rank", "[layout]") {
  const std::string table = RankLayout::plan_single_node(layout_of(1, 1, 2), 0, 10, {"0"}).table();
  CHECK_THAT(table, Contains("rank") && Contains("role") && Contains("local rank") && Contains("device") &&
                        Contains("gpu") && Contains("threads"));
  CHECK_THAT(table, Contains("orchestrator") && Contains("rollout worker 0") && Contains("reward worker 0") &&
                        Contains("learner 1"));
  // Header plus one line per rank.
  CHECK(std::count(table.begin(), table.end(), '\n') == 6);
}

TEST_CASE("uniform layouts give every rank one role", "[layout]") {
  const RankLayout layout = RankLayout::uniform(Role::kLearner, 3);
  CHECK(layout.world_size() == 3);
  CHECK(layout.ranks_of(Role::kLearner) == std::vector<int>{0, 1, 2});
  CHECK(layout.describe(2) == "rank 2 (learner)");
  CHECK(layout.describe(9) == "rank 9 (not in the layout)");
}

TEST_CASE("visible devices come from CUDA_VISIBLE_DEVICES", "[layout]") {
  const char* saved = std::getenv("CUDA_VISIBLE_DEVICES");
  const std::string restore = saved ? saved : "";
  setenv("CUDA_VISIBLE_DEVICES", "0,1,3", 1);
  CHECK(visible_devices_from_env() == 3);
  setenv("CUDA_VISIBLE_DEVICES", "-1", 1);
  CHECK(visible_devices_from_env() == 0);
  setenv("CUDA_VISIBLE_DEVICES", "", 1);
  CHECK(visible_devices_from_env() == 0);
  unsetenv("CUDA_VISIBLE_DEVICES");
  CHECK(visible_devices_from_env() == 0);
  if (saved) setenv("CUDA_VISIBLE_DEVICES", restore.c_str(), 1);
}

TEST_CASE("per-task GPU binding keeps each rank on the one GPU it sees", "[layout]") {
  // srun --gpus-per-task=1: every rank sees one device, index 0, a different GPU (ids are PCI bus ids).
  std::vector<NodeInfo> nodes;
  nodes.reserve(4);
  for (int r = 0; r < 4; ++r) {
    nodes.push_back(NodeInfo{.node = 0, .hostname = "a", .cores = 8, .gpus = {"0000:1" + std::to_string(r) + ":00.0"}});
  }
  const RankLayout layout = RankLayout::plan(layout_of(1, 0, 2), 0, nodes);
  CHECK(layout.at(0).device == -1);
  for (int r = 1; r < 4; ++r) CHECK(layout.at(r).device == 0);
  CHECK(layout.distinct_gpus({1, 2, 3}));
  CHECK(layout.at(2).gpu == "0000:12:00.0");
}

TEST_CASE("one GPU shared by every role", "[layout]") {
  const RankLayout layout = RankLayout::plan_single_node(layout_of(1, 1, 1), 0, 8, {"0"});
  for (int r = 1; r < 4; ++r) CHECK(layout.at(r).device == 0);
  CHECK_FALSE(layout.distinct_gpus({1, 3}));  // rollout worker and learner: weights staged through host memory
  CHECK(layout.distinct_gpus({3}));
  spct::config::LayoutSection colocated;
  colocated.colocate = true;
  const RankLayout single = RankLayout::plan_single_node(colocated, 0, 8, {"0"});
  CHECK(single.at(0).device == 0);
  CHECK(RankLayout::plan_single_node(colocated, 0, 8, {}).at(0).device == -1);
}

TEST_CASE("the launcher's local ranks are used when every rank of a node reports one", "[layout]") {
  std::vector<NodeInfo> nodes;
  nodes.reserve(3);
  for (int r = 0; r < 3; ++r) {
    nodes.push_back(NodeInfo{.node = 0, .hostname = "a", .cores = 3, .gpus = {}, .launcher_local_rank = 2 - r});
  }
  CHECK(RankLayout::plan(layout_of(1, 0, 1), 0, nodes).at(0).local_rank == 2);
  nodes[1].launcher_local_rank = -1;  // one rank does not know: count in world-rank order
  CHECK(RankLayout::plan(layout_of(1, 0, 1), 0, nodes).at(0).local_rank == 0);
}

TEST_CASE("GPU ids and local ranks come from the launcher's environment", "[layout]") {
  const char* saved = std::getenv("CUDA_VISIBLE_DEVICES");
  const std::string restore = saved ? saved : "";
  setenv("CUDA_VISIBLE_DEVICES", "2,GPU-8f3a,-1,5", 1);
  CHECK(visible_gpus_from_env(8) == std::vector<std::string>{"2", "GPU-8f3a"});
  unsetenv("CUDA_VISIBLE_DEVICES");
  CHECK(visible_gpus_from_env(2) == std::vector<std::string>{"0", "1"});
  CHECK(visible_gpus_from_env(0).empty());
  if (saved) setenv("CUDA_VISIBLE_DEVICES", restore.c_str(), 1);

  for (const char* name : {"OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID", "MPI_LOCALRANKID"}) unsetenv(name);
  CHECK(launcher_local_rank_from_env() == -1);
  setenv("SLURM_LOCALID", "3", 1);
  CHECK(launcher_local_rank_from_env() == 3);
  setenv("OMPI_COMM_WORLD_LOCAL_RANK", "1", 1);  // Open MPI's mpirun comes first
  CHECK(launcher_local_rank_from_env() == 1);
  setenv("OMPI_COMM_WORLD_LOCAL_RANK", "x1", 1);
  CHECK(launcher_local_rank_from_env() == -1);
  for (const char* name : {"OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID"}) unsetenv(name);
}
