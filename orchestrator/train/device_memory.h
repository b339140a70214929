// The caching allocator of a rank's device, through c10's device-generic interface (c10::DeviceAllocator, which
// CUDA's caching allocator implements): returning free blocks and reading peaks. Each is a no-op (or 0) for the
// CPU, whose memory the process's malloc manages.
#pragma once

#include <c10/core/Device.h>

#include <cstdint>

namespace spct::train {

// Returns the allocator's free blocks of `device` to the device (cudaFree of the unused segments), so what one
// phase freed is free for the next phase's allocations whatever their sizes, and for other processes.
void release_free_blocks(c10::Device device);

// Starts a new peak: peak_allocated_bytes() then reports the most allocated on `device` since this call.
void reset_peak_memory(c10::Device device);

// The most bytes of tensors allocated at once on `device` since the last reset_peak_memory() (since the process
// started without one); 0 for the CPU.
int64_t peak_allocated_bytes(c10::Device device);

}  // namespace spct::train
