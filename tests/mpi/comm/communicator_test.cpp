// MpiCommunicator under real mpiexec (2 and 4 ranks): collectives on every type and op, broadcast and gather
// from every root, non-blocking reduce-scatters, point-to-point protocol messages, and World's layout and
// communicators.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <numeric>
#include <thread>
#include <vector>

#include "core/comm/world.h"
#include "core/error.h"
#include "tests/mpi/comm/mpi_fixture.h"

using namespace spct;
using namespace spct::comm;
using spct::test::MpiFixture;
using spct::test::test_timeouts;

namespace {

// Rank r contributes values r + i (i = element index); returns what each op must give.
template <class T>
std::vector<T> expected(ReduceOp op, int size, size_t count) {
  std::vector<T> out(count);
  for (size_t i = 0; i < count; ++i) {
    const auto index = static_cast<int64_t>(i);
    const T first = static_cast<T>(index);
    const T last = static_cast<T>(int64_t{size} - 1 + index);
    T sum = 0;
    for (int64_t r = 0; r < size; ++r) sum = static_cast<T>(sum + static_cast<T>(r + index));
    switch (op) {
      case ReduceOp::kSum: out[i] = sum; break;
      case ReduceOp::kAvg: out[i] = static_cast<T>(sum / static_cast<T>(size)); break;
      case ReduceOp::kMax: out[i] = last; break;
      case ReduceOp::kMin: out[i] = first; break;
    }
  }
  return out;
}

template <class T>
void check_all_reduce(Communicator& comm, DataType type) {
  for (ReduceOp op : {ReduceOp::kSum, ReduceOp::kAvg, ReduceOp::kMax, ReduceOp::kMin}) {
    INFO(to_string(type) << " " << to_string(op));
    const size_t count = 1000;
    std::vector<T> data(count);
    for (size_t i = 0; i < count; ++i) data[i] = static_cast<T>(int64_t{comm.rank()} + static_cast<int64_t>(i % 50));
    comm.all_reduce(data.data(), count, type, op);
    const std::vector<T> want = expected<T>(op, comm.size(), 50);
    for (size_t i = 0; i < count; ++i) REQUIRE(static_cast<double>(data[i]) == static_cast<double>(want[i % 50]));
  }
}

}  // namespace

TEST_CASE("all_reduce sums, averages, maxes and mins every type", "[comm]") {
  MpiFixture f;
  check_all_reduce<float>(f.world, DataType::kFloat32);
  check_all_reduce<double>(f.world, DataType::kFloat64);
  check_all_reduce<int64_t>(f.world, DataType::kInt64);
  check_all_reduce<int32_t>(f.world, DataType::kInt32);
  check_all_reduce<uint8_t>(f.world, DataType::kUInt8);
}

TEST_CASE("broadcast and all_gather move bytes from every root", "[comm]") {
  MpiFixture f;
  const int rank = f.world.rank();
  const int size = f.world.size();
  for (int root = 0; root < size; ++root) {
    std::vector<uint8_t> data(3000, rank == root ? static_cast<uint8_t>(10 + root) : 0);
    f.world.broadcast(data.data(), data.size(), root);
    CHECK(std::all_of(data.begin(), data.end(), [&](uint8_t v) { return v == 10 + root; }));
  }
  const int64_t base = int64_t{rank} * 100;
  std::vector<int64_t> mine = {base, base + 1};
  std::vector<int64_t> all(2 * static_cast<size_t>(size));
  f.world.all_gather(mine.data(), all.data(), sizeof(int64_t) * mine.size());
  for (int r = 0; r < size; ++r) {
    CHECK(all[2 * static_cast<size_t>(r)] == int64_t{r} * 100);
    CHECK(all[2 * static_cast<size_t>(r) + 1] == int64_t{r} * 100 + 1);
  }
  f.world.barrier();
  CHECK(f.world.world_rank_of(size - 1) == size - 1);
}

TEST_CASE("reduce_scatter gives each rank its block combined over all ranks", "[comm]") {
  MpiFixture f;
  const int rank = f.world.rank();
  const auto size = static_cast<size_t>(f.world.size());
  const size_t per_rank = 700;
  // Element i of block b on rank r is r * 1000 + b * 10 + i % 7, so a wrong block, order or op shows.
  std::vector<double> send(size * per_rank);
  for (size_t b = 0; b < size; ++b) {
    for (size_t i = 0; i < per_rank; ++i) {
      send[b * per_rank + i] = static_cast<double>(rank * 1000) + static_cast<double>(b * 10 + i % 7);
    }
  }
  const double rank_sum = 500.0 * static_cast<double>(size * (size - 1));  // 1000 x (0 + 1 + ... + size-1)
  for (ReduceOp op : {ReduceOp::kSum, ReduceOp::kAvg, ReduceOp::kMax, ReduceOp::kMin}) {
    INFO(to_string(op));
    std::vector<double> recv(per_rank, -1);
    f.world.reduce_scatter(send.data(), recv.data(), per_rank, DataType::kFloat64, op);
    for (size_t i = 0; i < per_rank; ++i) {
      const double own = static_cast<double>(static_cast<size_t>(rank) * 10 + i % 7);
      const double n = static_cast<double>(size);
      double want = 0;
      switch (op) {
        case ReduceOp::kSum: want = n * own + rank_sum; break;
        case ReduceOp::kAvg: want = (n * own + rank_sum) / n; break;
        case ReduceOp::kMax: want = own + 1000.0 * (n - 1); break;
        case ReduceOp::kMin: want = own; break;
      }
      REQUIRE(recv[i] == want);
    }
  }
}

TEST_CASE("started reduce_scatters run together and give the blocking call's blocks", "[comm]") {
  MpiFixture f;
  const int rank = f.world.rank();
  const auto size = static_cast<size_t>(f.world.size());
  const size_t per_rank = 300;
  std::vector<float> send(size * per_rank);
  for (size_t i = 0; i < send.size(); ++i) send[i] = static_cast<float>(rank * 1000) + static_cast<float>(i % 13);
  const std::vector<ReduceOp> ops = {ReduceOp::kSum, ReduceOp::kAvg, ReduceOp::kMax, ReduceOp::kMin};
  // Every op started before any is waited for, and waited for last to first.
  std::vector<std::vector<float>> started(ops.size(), std::vector<float>(per_rank, -1));
  std::vector<std::unique_ptr<Work>> works;
  for (size_t k = 0; k < ops.size(); ++k) {
    works.push_back(f.world.start_reduce_scatter(send.data(), started[k].data(), per_rank, DataType::kFloat32, ops[k]));
  }
  for (size_t k = ops.size(); k-- > 0;) {
    works[k]->wait();
    REQUIRE(works[k]->poll());
  }
  for (size_t k = 0; k < ops.size(); ++k) {
    INFO(to_string(ops[k]));
    std::vector<float> blocking(per_rank, -2);
    f.world.reduce_scatter(send.data(), blocking.data(), per_rank, DataType::kFloat32, ops[k]);
    REQUIRE(started[k] == blocking);
  }
}

TEST_CASE("protocol messages travel point to point by type", "[comm]") {
  MpiFixture f;
  const int rank = f.world.rank();
  const int size = f.world.size();
  // Every rank sends a large group (past the eager limit) to its right neighbour and a control to its left
  // one, before receiving anything: queued sends make this deadlock-free.
  protocol::GeneratedGroup group{
      .step = 4, .prompt_id = static_cast<uint64_t>(rank), .policy_version = 9, .completions = {}};
  group.completions.resize(3);
  for (auto& c : group.completions) {
    c.tokens.assign(100000, rank);
    c.logprobs.assign(100000, -0.5f);
  }
  f.world.send((rank + 1) % size, group);
  f.world.send((rank + size - 1) % size, protocol::Control{.kind = protocol::Control::Kind::kStop, .step = 4});

  // Receiving by type: the control was sent second but can be taken first.
  const auto [control_from, control] = f.world.recv_as<protocol::Control>((rank + 1) % size);
  CHECK(control_from == (rank + 1) % size);
  CHECK(control.kind == protocol::Control::Kind::kStop);
  const ReceivedMessage received = f.world.recv(kAnySource, protocol::MessageType::kGeneratedGroup);
  CHECK(received.source == (rank + size - 1) % size);
  const auto& got = std::get<protocol::GeneratedGroup>(received.message);
  CHECK(got.prompt_id == static_cast<uint64_t>((rank + size - 1) % size));
  CHECK(got.completions.at(2).tokens.at(99999) == (rank + size - 1) % size);
  f.world.flush();

  // Fan in: everyone reports to rank 0, which takes them in arrival order.
  if (rank != 0) {
    f.world.send(0, protocol::RewardResult{.step = 1,
                                           .prompt_id = static_cast<uint64_t>(rank),
                                           .rewards = {1.0 * rank},
                                           .breakdown = {},
                                           .metrics = {},
                                           .critiques = {},
                                           .info = {}});
  } else {
    std::vector<int> seen;
    for (int i = 1; i < size; ++i) {
      const auto [from, result] = f.world.recv_as<protocol::RewardResult>(kAnySource);
      CHECK(result.rewards.at(0) == 1.0 * from);
      seen.push_back(from);
    }
    std::sort(seen.begin(), seen.end());
    std::vector<int> want(static_cast<size_t>(size - 1));
    std::iota(want.begin(), want.end(), 1);
    CHECK(seen == want);
  }
}

TEST_CASE("recv_next takes one rank's messages of every type in the order it sent them", "[comm]") {
  // How a worker meets the end marker of a phase after its work (core/protocol/messages.h, step 6).
  MpiFixture f;
  const int rank = f.world.rank();
  const int size = f.world.size();
  const int from = (rank + size - 1) % size;
  f.world.send(
      (rank + 1) % size,
      protocol::PromptBatch{.step = 2, .policy_version = 1, .items = {{}}, .reward_rank = 0, .prompt_texts = {}});
  f.world.send((rank + 1) % size, protocol::RewardRequest{});
  f.world.send((rank + 1) % size, protocol::Control{.kind = protocol::Control::Kind::kEndGeneration, .step = 2});
  const ReceivedMessage first = f.world.recv_next(from);
  CHECK(first.source == from);
  CHECK(std::get<protocol::PromptBatch>(first.message).items.size() == 1);
  CHECK(std::holds_alternative<protocol::RewardRequest>(f.world.recv_next(from).message));
  // The marker was sent after the two messages above, but MPI need not have delivered it yet (a loaded machine):
  // probe as a worker's loop does, within the fixture's step deadline.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(test_timeouts().step_s);
  bool pending = false;
  while (!(pending = f.world.has_message(from, kAnyTag)) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  CHECK(pending);
  const auto marker = std::get<protocol::Control>(f.world.recv_next(from).message);
  CHECK(marker.kind == protocol::Control::Kind::kEndGeneration);
  CHECK(!f.world.has_message(from, kAnyTag));
  f.world.flush();
  f.world.barrier();
}

TEST_CASE("a corrupted message names its sender with its role, the message and the damage", "[comm]") {
  MpiFixture f;
  const int rank = f.world.rank();
  const int size = f.world.size();
  protocol::RewardResult result;
  result.prompt_id = 7;
  result.rewards = {1.0};
  std::vector<uint8_t> bytes = protocol::encode(result);
  bytes.back() ^= 0x5A;
  f.world.send_bytes((rank + 1) % size, static_cast<int>(protocol::MessageType::kRewardResult), bytes);
  // A frame whose header names another type than its tag: a Control sent with the StepReport tag.
  f.world.send_bytes((rank + 1) % size, static_cast<int>(protocol::MessageType::kStepReport),
                     protocol::encode(protocol::Control{}));
  const int from = (rank + size - 1) % size;
  const std::string sender = "from rank " + std::to_string(from) + " (learner";
  CHECK_THROWS_WITH(f.world.recv_as<protocol::RewardResult>(from),
                    Catch::Contains(sender) && Catch::Contains("RewardResult message: payload bytes") &&
                        Catch::Contains("fail their checksum"));
  CHECK_THROWS_WITH(f.world.recv_next(from),
                    Catch::Contains(sender) && Catch::Contains("expected a StepReport message, got a Control"));
  f.world.flush();
  f.world.barrier();
}

TEST_CASE("World checks the world size against the layout", "[world]") {
  config::Config config;
  config.timeouts = test::test_timeouts();
  config.layout.colocate = true;  // needs exactly 1 rank; this job has 2 or 4
  CHECK_THROWS_WITH(World(world_options(config), {}), Catch::Matchers::Contains("but layout.colocate needs exactly 1"));
}

TEST_CASE("World splits the communicators each role needs", "[world]") {
  if (test::world_size() != 4 && test::world_size() != 5) return;  // layouts need 1 + rollout + reward + learners
  config::Config config;
  config.timeouts = test::test_timeouts();
  config.layout.rollout_workers = test::world_size() == 5 ? 2 : 1;
  World world(world_options(config), {});
  const int rank = test::world_rank();
  CHECK(world.layout().world_size() == test::world_size());
  CHECK(world.self().rank == rank);
  CHECK(world.node().size() == test::world_size());  // one machine
  const int learner = test::world_size() - 1;
  if (rank == learner) {
    REQUIRE(world.learners() != nullptr);
    CHECK(world.learners()->size() == 1);
    REQUIRE(world.weight_sync() != nullptr);
    CHECK(world.weight_sync()->rank() == 0);  // the publisher is rank 0 of the weight-sync communicator
  } else {
    CHECK(world.learners() == nullptr);
  }
  if (world.self().role == Role::kRollout) {
    REQUIRE(world.weight_sync() != nullptr);
    CHECK(world.weight_sync()->size() == config.layout.rollout_workers + 1);
    CHECK(world.weight_sync()->world_rank_of(0) == learner);
    CHECK(world.role().size() == config.layout.rollout_workers);
  }
  if (world.self().role == Role::kReward || world.self().role == Role::kOrchestrator) {
    CHECK(world.weight_sync() == nullptr);
    CHECK(world.role().size() == 1);
  }
  // The role communicator works: a role-wide sum of world ranks.
  int64_t sum = rank;
  world.role().all_reduce(&sum, 1, DataType::kInt64, ReduceOp::kSum);
  int64_t want = 0;
  for (int r : world.layout().ranks_of(world.self().role)) want += r;
  CHECK(sum == want);
  world.world().barrier();
}
