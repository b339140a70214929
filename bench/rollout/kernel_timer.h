// Wall time spent inside the compute kernels of a forward pass (matmuls and attention), measured with ATen's
// RecordFunction callbacks on the calling thread: the rest of a decode step (sampling, cache bookkeeping,
// norms, rotary embeddings, small ops and their dispatch) is the engine's overhead.
//
// Only the outermost kernel op of a nest counts (aten::linear calling aten::addmm is one interval). While a
// KernelTimer exists every op pays the callback's cost, so time throughput without one. On request it also sums
// the wall time of every outermost op by name (ops_by_time), which says where the time outside the kernels
// goes; time outside any op is the engine's host code.
// Thread safety: one KernelTimer at a time, ops timed on the thread that created it.
#pragma once

#include <ATen/record_function.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace spct::bench {

struct OpTime {
  std::string name;
  double seconds = 0;
  long calls = 0;
};

class KernelTimer {
 public:
  // by_op: also tally every outermost op (ops_by_time); each op then pays for a context and a map lookup.
  explicit KernelTimer(bool by_op = false);
  ~KernelTimer();
  KernelTimer(const KernelTimer&) = delete;
  KernelTimer& operator=(const KernelTimer&) = delete;

  // Seconds inside matmul / attention ops since construction.
  double kernel_seconds() const;

  // Wall time and calls of each outermost op since construction, longest first (empty without by_op).
  std::vector<OpTime> ops_by_time() const;

 private:
  std::map<std::string, OpTime> ops_;
  at::CallbackHandle handle_;
};

}  // namespace spct::bench
