#include "orchestrator/run/keep_freed_memory.h"

#include <malloc.h>

#include <climits>

namespace spct::run {

void keep_freed_memory() {
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, INT_MAX);
}

}  // namespace spct::run
