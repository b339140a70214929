#include "orchestrator/observe/process.h"

#include <signal.h>
#include <unistd.h>

#include <array>
#include <cerrno>

namespace spct::observe {

std::string this_host() {
  std::array<char, 256> name{};
  if (gethostname(name.data(), name.size() - 1) != 0) return "localhost";
  return name.data();
}

bool process_may_exist(int64_t pid) {
  // Signal 0 checks existence and permission without sending anything.
  return kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH;
}

}  // namespace spct::observe
