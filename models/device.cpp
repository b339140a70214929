#include "models/device.h"

#include <ATen/Context.h>
#include <ATen/DeviceAccelerator.h>
#include <fmt/format.h>

#include "core/error.h"

namespace spct::models {

int cuda_device_count() {
  return at::hasCUDA() ? static_cast<int>(at::getNumGPUs()) : 0;
}

c10::Device device_for(const std::string& setting) {
  if (setting == "cpu") return c10::kCPU;
  if (setting != "auto" && setting != "cuda") {
    throw UsageError(fmt::format("model.device '{}' is not one of auto, cpu, cuda", setting));
  }
  if (cuda_device_count() == 0) {
    if (setting == "cuda") {
      throw UsageError(
          "model.device is cuda, but this process sees no CUDA device (check CUDA_VISIBLE_DEVICES and "
          "the driver); use model.device: auto or cpu");
    }
    return c10::kCPU;
  }
  return {c10::kCUDA, at::accelerator::getDeviceIndex()};
}

}  // namespace spct::models
