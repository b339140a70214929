#include "core/comm/background_work.h"

#include <fmt/format.h>

#include <limits>
#include <string>
#include <vector>

#include "core/comm/mpi_check.h"
#include "core/error.h"

namespace spct::comm {
namespace {

class BackgroundWork : public Work {
 public:
  // Takes over `request`, an operation already started on `comm`; `what` names it in stall reports.
  BackgroundWork(MpiCommunicator& comm, MPI_Request request, std::string what)
      : comm_(comm), request_(request), what_(std::move(what)), done_(request == MPI_REQUEST_NULL) {}

  ~BackgroundWork() override {
    // MPI still uses the caller's buffer: finish the operation (or end the job).
    if (!done_) wait();
  }

  BackgroundWork(const BackgroundWork&) = delete;
  BackgroundWork& operator=(const BackgroundWork&) = delete;

  bool poll() override {
    if (done_) return true;
    int finished = 0;
    SPCT_MPI_CHECK(MPI_Test(&request_, &finished, MPI_STATUS_IGNORE));
    done_ = finished != 0;
    return done_;
  }

  void wait() override {
    if (done_) return;
    std::vector<int> everyone;
    everyone.reserve(static_cast<size_t>(comm_.size()));
    for (int r = 0; r < comm_.size(); ++r) everyone.push_back(comm_.world_rank_of(r));
    comm_.stall().wait([this] { return poll(); }, everyone,
                       fmt::format("{} on communicator '{}'", what_, comm_.name()));
  }

 private:
  MpiCommunicator& comm_;
  MPI_Request request_;
  const std::string what_;
  bool done_;
};

}  // namespace

std::unique_ptr<Work> start_broadcast(MpiCommunicator& comm, void* data, size_t bytes, int root) {
  MPI_Request request = MPI_REQUEST_NULL;
  if (comm.size() > 1) {
    if (bytes > static_cast<size_t>(std::numeric_limits<int>::max())) {
      throw UsageError(fmt::format("broadcast of {} bytes exceeds MPI's int count limit; split it", bytes));
    }
    SPCT_MPI_CHECK(MPI_Ibcast(data, static_cast<int>(bytes), MPI_BYTE, root, comm.handle(), &request));
  }
  return std::make_unique<BackgroundWork>(comm, request,
                                          fmt::format("broadcast of {} bytes from rank {}", bytes, root));
}

std::unique_ptr<Work> start_max(MpiCommunicator& comm, int32_t* flag) {
  MPI_Request request = MPI_REQUEST_NULL;
  if (comm.size() > 1)
    SPCT_MPI_CHECK(MPI_Iallreduce(MPI_IN_PLACE, flag, 1, MPI_INT32_T, MPI_MAX, comm.handle(), &request));
  return std::make_unique<BackgroundWork>(comm, request, "all_reduce (max) of 1 int32");
}

}  // namespace spct::comm
