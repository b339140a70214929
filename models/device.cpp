#include "models/device.h"

#include <ATen/Context.h>
#include <ATen/DeviceAccelerator.h>

#include "core/error.h"

namespace spct::models {

int cuda_device_count() {
  return at::hasCUDA() ? static_cast<int>(at::getNumGPUs()) : 0;
}

c10::Device device_for(config::Device setting) {
  if (setting == config::Device::kCpu) return c10::kCPU;
  if (cuda_device_count() == 0) {
    if (setting == config::Device::kCuda) {
      throw UsageError(
          "model.device is cuda, but this process sees no CUDA device (check CUDA_VISIBLE_DEVICES and "
          "the driver); use model.device: auto or cpu");
    }
    return c10::kCPU;
  }
  return {c10::kCUDA, at::accelerator::getDeviceIndex()};
}

}  // namespace spct::models
