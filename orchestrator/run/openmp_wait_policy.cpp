#include "orchestrator/run/openmp_wait_policy.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace spct::run {

void ensure_passive_openmp(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  setenv("OMP_WAIT_POLICY", "PASSIVE", /*overwrite=*/1);
  execv("/proc/self/exe", argv);
  // Still running the first image: its libgomp keeps its default (spinning) policy, which is slow on a busy
  // machine but correct; children (mpirun ranks) inherit PASSIVE.
  std::fprintf(stderr, "spct: warning: cannot restart with OMP_WAIT_POLICY=PASSIVE (%s); set it in the environment\n",
               std::strerror(errno));
}

}  // namespace spct::run
