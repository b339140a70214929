// Wall time spent inside the compute kernels of a forward pass (matmuls and attention), measured with ATen's
// RecordFunction callbacks on the calling thread: the rest of a decode step (sampling, cache bookkeeping,
// norms, rotary embeddings, small ops and their dispatch) is the engine's overhead.
//
// Only the outermost kernel op of a nest counts (aten::linear calling aten::addmm is one interval). While a
// KernelTimer exists every op pays the callback's cost, so time throughput without one.
// Thread safety: one KernelTimer at a time, ops timed on the thread that created it.
#pragma once

#include <ATen/record_function.h>

namespace spct::bench {

class KernelTimer {
 public:
  KernelTimer();
  ~KernelTimer();
  KernelTimer(const KernelTimer&) = delete;
  KernelTimer& operator=(const KernelTimer&) = delete;

  // Seconds inside matmul / attention ops since construction.
  double kernel_seconds() const;

 private:
  at::CallbackHandle handle_;
};

}  // namespace spct::bench
