// model.device resolved in this process: "cpu", "cuda" (the current CUDA device; an error without one) or
// "auto" (the current CUDA device when LibTorch has CUDA and sees a device, else the CPU). A rank of an MPI job
// makes its layout GPU the current device first (orchestrator/train/device_setup.h), so the models a worker
// builds for itself (GRM, meta RM) land on the rank's GPU without being told which.
#pragma once

#include <c10/core/Device.h>

#include "core/config/choices.h"

namespace spct::models {

// CUDA devices this process sees through LibTorch (0 without CUDA).
int cuda_device_count();

// Throws spct::UsageError for kCuda without a device.
c10::Device device_for(config::Device setting);

}  // namespace spct::models
