// Which transport device memory takes between ranks (core/comm/device_transport.h): CUDA IPC between ranks on
// the same GPU (same node, same PCI bus id), NCCL between ranks on different GPUs, MPI when a rank is on the CPU,
// and host staging for a group that mixes shared and distinct GPUs.
#include "core/comm/device_transport.h"

#include <catch2/catch.hpp>

#include "tests/unit/comm/layout_section.h"

using namespace spct::comm;
using spct::comm::testing::layout_of;

namespace {

// Every rank of one node sees the same GPUs, named by PCI bus id.
RankLayout one_node(const spct::config::LayoutSection& section, const std::vector<std::string>& bus_ids) {
  const int ranks = static_cast<int>(1 + section.rollout_workers + section.reward_workers + section.learners);
  std::vector<NodeInfo> nodes(static_cast<size_t>(ranks),
                              NodeInfo{.node = 0, .hostname = "a", .cores = 16, .gpus = bus_ids});
  return RankLayout::plan(section, 0, nodes);
}

}  // namespace

TEST_CASE("ranks on the same GPU exchange device memory by CUDA IPC", "[transport]") {
  // One GPU: orchestrator 0, rollout 1-2, reward 3, learner 4, all GPU ranks on 0000:17:00.0.
  const RankLayout layout = one_node(layout_of(2, 1, 1), {"0000:17:00.0"});
  CHECK(pair_transport(layout.at(4), layout.at(1)) == DeviceTransport::kCudaIpc);
  CHECK(pair_transport(layout.at(1), layout.at(2)) == DeviceTransport::kCudaIpc);
  // The weight-sync group (learner 0 first, then the rollout workers).
  CHECK(group_transport(layout, {4, 1, 2}) == DeviceTransport::kCudaIpc);
  CHECK(transport_name(group_transport(layout, {4, 1, 2})) == "cuda ipc");
  // The orchestrator holds no GPU: anything with it goes over MPI.
  CHECK(pair_transport(layout.at(0), layout.at(4)) == DeviceTransport::kMpi);
  CHECK(group_transport(layout, {0, 4}) == DeviceTransport::kMpi);
}

TEST_CASE("ranks on different GPUs exchange device memory over NCCL", "[transport]") {
  // Four GPUs for four GPU ranks: learner 4 on the first, rollout workers 1 and 2 and reward 3 after it.
  const RankLayout layout =
      one_node(layout_of(2, 1, 1), {"0000:17:00.0", "0000:31:00.0", "0000:b1:00.0", "0000:ca:00.0"});
  CHECK(layout.at(4).gpu != layout.at(1).gpu);
  CHECK(pair_transport(layout.at(4), layout.at(1)) == DeviceTransport::kNccl);
  CHECK(group_transport(layout, {4, 1, 2}) == DeviceTransport::kNccl);
  CHECK(group_transport(layout, {4}) == DeviceTransport::kNccl);  // a group of one moves nothing
}

TEST_CASE("the same PCI bus id on another node is another GPU", "[transport]") {
  std::vector<NodeInfo> nodes;
  nodes.reserve(4);
  for (int r = 0; r < 4; ++r) {
    nodes.push_back(
        NodeInfo{.node = r < 2 ? 0 : 1, .hostname = r < 2 ? "a" : "b", .cores = 8, .gpus = {"0000:17:00.0"}});
  }
  const RankLayout layout = RankLayout::plan(layout_of(1, 0, 2), 0, nodes);
  // Rank 1 (rollout) on node 0, learners 2 and 3 on node 1, every GPU rank on the bus id 0000:17:00.0 of its node.
  REQUIRE(layout.at(1).node == 0);
  REQUIRE(layout.at(2).node == 1);
  CHECK(layout.at(1).gpu == layout.at(2).gpu);
  CHECK(pair_transport(layout.at(1), layout.at(2)) == DeviceTransport::kNccl);
  CHECK(pair_transport(layout.at(2), layout.at(3)) == DeviceTransport::kCudaIpc);
}

TEST_CASE("a group that mixes shared and distinct GPUs stages through host memory", "[transport]") {
  // Two GPUs for three rollout workers and a learner: learner 4 and rollout 2 share one GPU, rollouts 1 and 3 the
  // other.
  const RankLayout layout = one_node(layout_of(3, 0, 1), {"0000:17:00.0", "0000:31:00.0"});
  const std::vector<int> weight_sync = {4, 1, 2, 3};
  bool shared = false;
  bool distinct = false;
  for (size_t i = 1; i < weight_sync.size(); ++i) {
    const DeviceTransport pair = pair_transport(layout.at(4), layout.at(weight_sync[i]));
    shared = shared || pair == DeviceTransport::kCudaIpc;
    distinct = distinct || pair == DeviceTransport::kNccl;
  }
  REQUIRE(shared);
  REQUIRE(distinct);
  CHECK(group_transport(layout, weight_sync) == DeviceTransport::kHostStaging);
}

TEST_CASE("CPU ranks exchange over MPI", "[transport]") {
  const RankLayout layout = one_node(layout_of(1, 1, 1), {});
  CHECK(pair_transport(layout.at(1), layout.at(3)) == DeviceTransport::kMpi);
  CHECK(group_transport(layout, {3, 1}) == DeviceTransport::kMpi);
}
