// glibc's malloc hands blocks of 32 MiB and more (dynamically: from 128 KiB up) to mmap and returns them to the
// kernel on free, and trims freed memory at the top of its heaps. A decode step at batch 64 with a 128k
// vocabulary frees and re-allocates several 32 MiB logit-sized tensors, and each one came back through page
// faults: 45% of generation time was spent in the kernel. LibTorch's CPU allocator is plain malloc.
#pragma once

namespace spct::run {

// Keeps freed memory in the process for reuse: no mmap-backed blocks (M_MMAP_MAX 0) and no trimming of heap
// tops (M_TRIM_THRESHOLD at its maximum). The price is that a process keeps its peak heap size until it exits,
// which is what a training or serving process needs anyway. Call at start-up, before large allocations.
void keep_freed_memory();

}  // namespace spct::run
