// How many intra-op (ATen/OpenMP) threads a process of a run uses.
#pragma once

#include "core/config/config.h"

namespace spct::run {

// run.threads when it is set. Otherwise `share` (this process's share of the node's cores), except for a tiny
// policy built from the model section (no model.path, hidden_size below 256): its ops take microseconds, less
// than handing them to a second thread and back costs, so one thread is faster and leaves the other cores to
// the other ranks (measured on configs/grpo_add.yaml: docs/benchmarks.md).
int intra_op_threads(const config::Config& config, int share);

}  // namespace spct::run
