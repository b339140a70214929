// The run directory must be one filesystem for every rank: learner 0 writes each checkpoint's files and rank 0
// seals them (hashes the files into the manifest, keeps or prunes checkpoints, exports the model), so on hosts
// with disks of their own a run would write checkpoints rank 0 cannot see and fail only at its export. The check
// at startup: rank 0 writes a file with a random nonce into run.dir, every rank looks for it (polling, since a
// network filesystem may show a new file late) until its deadline, and the job is refused before any step when
// a rank does not see it.
#pragma once

#include <filesystem>

#include "core/comm/communicator.h"
#include "core/comm/layout.h"

namespace spct::train {

// Collective over `comm` (the world). Rank 0 creates `run_dir` if needed. Returns when every rank saw rank 0's
// file; else throws spct::UsageError (exit 2): on rank 0 naming each rank (role, host) that did not see it within
// `wait_s` seconds, on the other ranks a one-line pointer to rank 0's message. The file is removed either way.
// When rank 0 cannot write into `run_dir`, returns without a verdict (opening the run directory reports why).
void check_run_dir_shared(comm::Communicator& comm, const comm::RankLayout& layout,
                          const std::filesystem::path& run_dir, double wait_s);

}  // namespace spct::train
