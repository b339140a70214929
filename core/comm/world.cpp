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
#include "core/error.h"
#ifdef SPCT_HAVE_NCCL
#include "core/comm/device_transport.h"
#include "core/comm/hybrid_communicator.h"
#endif

namespace spct::comm {

namespace {

// What each rank tells the others about where it runs; fixed size so that one MPI_Iallgather collects it.
struct NodeRecord {
  int32_t node_leader = 0;  // lowest world rank on this rank's node
  int32_t cores = 1;
  int32_t launcher_local_rank = -1;
  std::array<char, 64> hostname = {};
  std::array<char, 960> gpus = {};  // the rank's GPU ids, comma-separated (16 PCI bus ids or UUIDs fit)
};

std::vector<std::string> split_ids(const std::array<char, 960>& joined) {
  std::vector<std::string> out;
  const std::string text(joined.data(), strnlen(joined.data(), joined.size()));
  size_t begin = 0;
  while (begin < text.size()) {
    const size_t end = std::min(text.find(',', begin), text.size());
    out.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  return out;
}

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

World::World(const WorldOptions& options, const std::vector<std::string>& gpus) {
  SPCT_MPI_CHECK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
  int world_size = 0;
  SPCT_MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank_));
  SPCT_MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &world_size));
  const double startup_s = options.timeouts.startup_s;

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
  mine.launcher_local_rank = launcher_local_rank_from_env();
  std::string joined;
  for (const std::string& id : gpus) joined += (joined.empty() ? "" : ",") + id;
  if (joined.size() >= mine.gpus.size()) {
    throw UsageError(fmt::format("rank {} sees {} GPUs whose ids do not fit the {}-byte node record ({})", rank_,
                                 gpus.size(), mine.gpus.size(), joined));
  }
  std::copy(joined.begin(), joined.end(), mine.gpus.begin());

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
                             .cores = r.cores,
                             .gpus = split_ids(r.gpus),
                             .launcher_local_rank = r.launcher_local_rank});
  }

  // Every rank computes the same layout from the same records, so a bad world size throws on all of them.
  layout_ = std::make_unique<RankLayout>(RankLayout::plan(options.layout, options.threads, nodes));
  state_ = std::make_unique<RankState>(*layout_, rank_, options.timeouts);
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
    learners_mpi_ = std::make_unique<MpiCommunicator>(learners_comm_.get(), *stall_, "learners");
    learners_ = with_device_path(*learners_mpi_, layout_->ranks_of(Role::kLearner));
  }
  if (weight_comm_.get() != MPI_COMM_NULL) {
    weight_sync_mpi_ = std::make_unique<MpiCommunicator>(weight_comm_.get(), *stall_, "weight sync");
    std::vector<int> members;
    members.reserve(static_cast<size_t>(weight_sync_mpi_->size()));
    for (int r = 0; r < weight_sync_mpi_->size(); ++r) members.push_back(weight_sync_mpi_->world_rank_of(r));
    weight_sync_ = with_device_path(*weight_sync_mpi_, members);
  }
}

std::unique_ptr<Communicator> World::with_device_path(MpiCommunicator& host, const std::vector<int>& members) {
  const RankPlacement& me = self();
#ifdef SPCT_HAVE_NCCL
  if (me.device >= 0) {
    // Every member computes the same answer from the same layout, so either all of them create the NCCL
    // communicator (a collective) or none does, and all of them broadcast by CUDA IPC or none does.
    const DeviceTransport transport = group_transport(*layout_, members);
    std::unique_ptr<NcclCommunicator> nccl;
    if (host.size() > 1 && transport == DeviceTransport::kNccl)
      nccl = std::make_unique<NcclCommunicator>(host, me.device);
    return std::make_unique<HybridCommunicator>(host, std::move(nccl), transport == DeviceTransport::kCudaIpc);
  }
#else
  (void)members;
  if (me.device >= 0 && host.size() > 1) {
    throw UsageError(
        fmt::format("{} drives GPU {}, but this spct was built without NCCL (SPCT_WITH_NCCL), which "
                    "GPU ranks need to exchange tensors; rebuild with NCCL or set model.device: cpu",
                    layout_->describe(rank_), me.device));
  }
#endif
  return nullptr;
}

CommHandle::~CommHandle() {
  // Freeing a communicator cannot fail in a way worth reporting at teardown.
  if (comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
}

}  // namespace spct::comm
