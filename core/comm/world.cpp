#include "core/comm/world.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "core/comm/mpi_check.h"
#include "core/comm/startup_watchdog.h"

namespace spct::comm {

namespace {

// What each rank tells the others about where it runs; fixed size so that one MPI_Iallgather collects it.
struct NodeRecord {
  int32_t node_leader = 0;  // lowest world rank on this rank's node
  int32_t cores = 1;
  std::array<char, 64> hostname = {};
};

// Startup collectives run before the layout (and so the stall detector) exists; their deadline is
// timeouts.startup_s and a miss ends the job with what is known: who waited, for what.
void wait_at_startup(MPI_Request& request, int rank, double timeout_s, const char* what) {
  const bool done = wait_until(Deadline::after(timeout_s), [&request] {
    int flag = 0;
    SPCT_MPI_CHECK(MPI_Test(&request, &flag, MPI_STATUS_IGNORE));
    return flag != 0;
  });
  if (!done) {
    abort_job(
        fmt::format("rank {} waited {:g} s in phase 'startup' for {}: some rank did not arrive in phase "
                    "'startup' within {:g} s (timeouts.startup_s)",
                    rank, timeout_s, what, timeout_s));
  }
}

bool plays(const RankPlacement& p, Role role) {
  return p.role == role || p.role == Role::kColocated;
}

}  // namespace

void set_mpi_defaults() {
  setenv("OMPI_MCA_coll_libnbc_iallreduce_algorithm", "1", /*overwrite=*/0);
}

MpiSession::MpiSession(int* argc, char*** argv, double startup_s) {
  int initialized = 0;
  SPCT_MPI_CHECK(MPI_Initialized(&initialized));
  if (!initialized) {
    set_mpi_defaults();
    int provided = 0;
    {
      // Once MPI_Init_thread returns, World's start-up barrier has a deadline of its own (wait_at_startup).
      const StartupWatchdog watchdog(startup_s);
      SPCT_MPI_CHECK(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided));
    }
    owns_ = true;
  }
  SPCT_MPI_CHECK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
}

MpiSession::~MpiSession() {
  // A failing MPI_Finalize at exit has no one left to report to.
  if (owns_) MPI_Finalize();
}

World::World(const config::Config& config, int visible_devices) {
  SPCT_MPI_CHECK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
  int world_size = 0;
  SPCT_MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank_));
  SPCT_MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &world_size));
  const double startup_s = config.timeouts.startup_s;

  // Once every rank has passed this barrier, all of them are alive and running this constructor, so the
  // blocking communicator constructors below (MPI has no non-blocking split) cannot wait on a missing rank.
  MPI_Request request = MPI_REQUEST_NULL;
  SPCT_MPI_CHECK(MPI_Ibarrier(MPI_COMM_WORLD, &request));
  wait_at_startup(request, rank_, startup_s, "every rank to start");

  SPCT_MPI_CHECK(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, node_comm_.out()));
  MPI_Group node_group = MPI_GROUP_NULL;
  MPI_Group world_group = MPI_GROUP_NULL;
  SPCT_MPI_CHECK(MPI_Comm_group(node_comm_.get(), &node_group));
  SPCT_MPI_CHECK(MPI_Comm_group(MPI_COMM_WORLD, &world_group));
  NodeRecord mine;
  const int zero = 0;  // the key of the split orders node ranks by world rank: node rank 0 is the lowest
  SPCT_MPI_CHECK(MPI_Group_translate_ranks(node_group, 1, &zero, world_group, &mine.node_leader));
  SPCT_MPI_CHECK(MPI_Group_free(&node_group));
  SPCT_MPI_CHECK(MPI_Group_free(&world_group));
  mine.cores = static_cast<int32_t>(std::max(1u, std::thread::hardware_concurrency()));
  if (gethostname(mine.hostname.data(), mine.hostname.size() - 1) != 0) {
    std::strncpy(mine.hostname.data(), "unknown-host", mine.hostname.size() - 1);
  }

  std::vector<NodeRecord> records(static_cast<size_t>(world_size));
  SPCT_MPI_CHECK(
      MPI_Iallgather(&mine, sizeof mine, MPI_BYTE, records.data(), sizeof mine, MPI_BYTE, MPI_COMM_WORLD, &request));
  wait_at_startup(request, rank_, startup_s, "the node list");

  // Nodes are numbered in order of their lowest rank.
  std::vector<int> leaders;
  leaders.reserve(records.size());
  for (const NodeRecord& r : records) leaders.push_back(r.node_leader);
  std::sort(leaders.begin(), leaders.end());
  leaders.erase(std::unique(leaders.begin(), leaders.end()), leaders.end());
  std::vector<NodeInfo> nodes;
  for (const NodeRecord& r : records) {
    const auto index = std::lower_bound(leaders.begin(), leaders.end(), r.node_leader) - leaders.begin();
    nodes.push_back(NodeInfo{.node = static_cast<int>(index),
                             .hostname = std::string(r.hostname.data(), strnlen(r.hostname.data(), r.hostname.size())),
                             .cores = r.cores});
  }

  // Every rank computes the same layout from the same records, so a bad world size throws on all of them.
  layout_ = std::make_unique<RankLayout>(RankLayout::plan(config.layout, config.run.threads, nodes, visible_devices));
  state_ = std::make_unique<RankState>(*layout_, rank_, config.timeouts);
  stall_ = std::make_unique<StallDetector>(*state_);

  const RankPlacement& me = layout_->at(rank_);
  SPCT_MPI_CHECK(MPI_Comm_split(MPI_COMM_WORLD, static_cast<int>(me.role), rank_, role_comm_.out()));
  SPCT_MPI_CHECK(
      MPI_Comm_split(MPI_COMM_WORLD, plays(me, Role::kLearner) ? 0 : MPI_UNDEFINED, rank_, learners_comm_.out()));
  const bool publisher = plays(me, Role::kLearner) && me.role_index == 0;
  const bool in_weight_sync = publisher || plays(me, Role::kRollout);
  // Key 0 puts learner 0 first (rank 0 of the weight-sync communicator, the broadcast root); others follow.
  SPCT_MPI_CHECK(MPI_Comm_split(MPI_COMM_WORLD, in_weight_sync ? 0 : MPI_UNDEFINED, publisher ? 0 : rank_ + 1,
                                weight_comm_.out()));

  world_ = std::make_unique<MpiCommunicator>(MPI_COMM_WORLD, *stall_, "world");
  role_ = std::make_unique<MpiCommunicator>(role_comm_.get(), *stall_, role_name(me.role) + "s");
  node_ = std::make_unique<MpiCommunicator>(node_comm_.get(), *stall_, fmt::format("node {}", me.node));
  if (learners_comm_.get() != MPI_COMM_NULL) {
    learners_ = std::make_unique<MpiCommunicator>(learners_comm_.get(), *stall_, "learners");
  }
  if (weight_comm_.get() != MPI_COMM_NULL) {
    weight_sync_ = std::make_unique<MpiCommunicator>(weight_comm_.get(), *stall_, "weight sync");
  }
}

CommHandle::~CommHandle() {
  // Freeing a communicator cannot fail in a way worth reporting at teardown.
  if (comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
}

}  // namespace spct::comm
