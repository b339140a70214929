// Which machine and process this is, and whether another process still exists: how a run's files name the
// process that writes them, and how `spct runs` tells a running run from one whose process died.
//
// Thread safety: free functions without shared state.
#pragma once

#include <cstdint>
#include <string>

namespace spct::observe {

// This machine's host name (gethostname), "localhost" when it cannot be read.
std::string this_host();

// False only when process `pid` certainly does not exist on this machine (kill(pid, 0) fails with ESRCH); a
// process owned by another user counts as existing. REQUIRES: pid > 0.
bool process_may_exist(int64_t pid);

}  // namespace spct::observe
