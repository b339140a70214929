// Where a rank's models live: model.device resolved against the CUDA devices this process sees and the GPU
// the rank layout gave the rank (core/comm/layout.h). Every model a rank builds (policy, reference, GRM, meta
// RM) goes to the device rank_device() returns.
#pragma once

#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "core/comm/layout.h"
#include "core/config/config.h"

namespace spct::train {

// The ids of the CUDA devices this process may use, in CUDA's order, as the layout wants them (NodeInfo::gpus):
// PCI bus ids, which name one physical GPU the same way in every process of a node, whatever
// CUDA_VISIBLE_DEVICES each sees. Empty when model.device is cpu or CUDA has no device here. Throws
// spct::UsageError when model.device is cuda and there is none.
std::vector<std::string> local_gpu_ids(const config::ModelSection& model);

// The device of the rank at `placement`: its CUDA device (made the current device of this process, so that
// LibTorch's allocator and NCCL agree) or the CPU. Throws spct::UsageError when model.device is cuda and the
// rank has no GPU (the orchestrator holds no model and is exempt).
at::Device rank_device(const config::ModelSection& model, const comm::RankPlacement& placement);

// rank_device() for a process outside MPI (the colocated job, eval, GRM jobs): the current CUDA device
// (models::device_for).
at::Device process_device(const config::ModelSection& model);

}  // namespace spct::train
