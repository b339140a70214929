// Reads a rollout log file back (rollout_log_files.h, rollout_record.h): `spct rollouts`, tests, anyone checking
// a run by hand. zstd or plain by the file name.
#pragma once

#include <vector>

#include "orchestrator/observe/rollout_log_files.h"
#include "orchestrator/observe/rollout_record.h"

namespace spct::observe {

// Every record of `file`, in file order. Throws spct::InputError naming the file and where it is broken: the
// compressed byte offset of a damaged or truncated zstd frame, or the line number and byte offset (in the
// JSON text) of a line that is not a rollout record.
std::vector<RolloutRecord> read_rollout_file(const RolloutFile& file);

}  // namespace spct::observe
