#include "orchestrator/train/device_setup.h"

#include <ATen/DeviceAccelerator.h>
#include <fmt/format.h>

#include <array>
#include <cstdlib>

#include "core/error.h"
#include "models/device.h"
#ifdef SPCT_HAVE_NCCL
#include <cuda_runtime_api.h>

#include "core/comm/gpu_check.h"
#endif

namespace spct::train {
namespace {

std::string visible_setting() {
  const char* value = std::getenv("CUDA_VISIBLE_DEVICES");
  return value == nullptr ? "unset" : fmt::format("'{}'", value);
}

}  // namespace

std::vector<std::string> local_gpu_ids(const config::ModelSection& model) {
  if (model.device == config::Device::kCpu) return {};
  const int count = models::cuda_device_count();
  if (count == 0) {
    if (model.device == config::Device::kCuda) {
      throw UsageError(
          fmt::format("model.device is cuda, but this process sees no CUDA device "
                      "(CUDA_VISIBLE_DEVICES {}); use model.device: auto or cpu (spct train --dry-run: pass "
                      "--gpus-per-node to plan for GPUs this machine lacks)",
                      visible_setting()));
    }
    return {};
  }
#ifdef SPCT_HAVE_NCCL
  std::vector<std::string> ids;
  for (int device = 0; device < count; ++device) {
    std::array<char, 32> bus{};
    SPCT_GPU_CHECK(cudaDeviceGetPCIBusId(bus.data(), static_cast<int>(bus.size()), device));
    ids.emplace_back(bus.data());
  }
  return ids;
#else
  return comm::visible_gpus_from_env(count);
#endif
}

at::Device rank_device(const config::ModelSection& model, const comm::RankPlacement& placement) {
  if (placement.device < 0) {
    if (model.device == config::Device::kCuda && placement.role != comm::Role::kOrchestrator) {
      throw UsageError(fmt::format("model.device is cuda, but rank {} ({}) has no GPU in the layout", placement.rank,
                                   comm::role_name(placement.role)));
    }
    return at::kCPU;
  }
  const auto index = static_cast<c10::DeviceIndex>(placement.device);
  at::accelerator::setDeviceIndex(index);
  return {at::kCUDA, index};
}

at::Device process_device(const config::ModelSection& model) {
  return models::device_for(model.device);
}

}  // namespace spct::train
