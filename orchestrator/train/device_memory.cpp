#include "orchestrator/train/device_memory.h"

#include <c10/core/CachingDeviceAllocator.h>

namespace spct::train {
namespace {

// The aggregate over pool types (small and large blocks) of the allocator's statistics.
constexpr size_t kAggregate = static_cast<size_t>(c10::CachingAllocator::StatType::AGGREGATE);

}  // namespace

void release_free_blocks(c10::Device device) {
  if (device.is_cpu()) return;
  c10::getDeviceAllocator(device.type())->emptyCache();
}

void reset_peak_memory(c10::Device device) {
  if (device.is_cpu()) return;
  c10::getDeviceAllocator(device.type())->resetPeakStats(device.index());
}

int64_t peak_allocated_bytes(c10::Device device) {
  if (device.is_cpu()) return 0;
  return c10::getDeviceAllocator(device.type())->getDeviceStats(device.index()).allocated_bytes[kAggregate].peak;
}

}  // namespace spct::train
