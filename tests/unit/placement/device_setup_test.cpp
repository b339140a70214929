// model.device resolution on a machine without a GPU (the GPU side runs in the gpu suite): auto and cpu give
// the CPU, cuda is refused with a message naming the setting or the rank.
#include "orchestrator/train/device_setup.h"

#include <catch2/catch.hpp>

#include "core/error.h"
#include "models/device.h"

using namespace spct;
using Catch::Matchers::Contains;

TEST_CASE("without a CUDA device, auto and cpu place models on the CPU and cuda is refused", "[device]") {
  if (models::cuda_device_count() > 0) return;  // a GPU machine: the gpu suite covers it
  config::ModelSection model;
  CHECK(train::local_gpu_ids(model).empty());
  CHECK(models::device_for(config::Device::kAuto).is_cpu());
  CHECK(models::device_for(config::Device::kCpu).is_cpu());
  CHECK_THROWS_WITH(models::device_for(config::Device::kCuda),
                    Contains("model.device is cuda, but this process sees no CUDA"));
  model.device = config::Device::kCuda;
  CHECK_THROWS_AS(train::local_gpu_ids(model), UsageError);
}

TEST_CASE("a rank's device follows its placement", "[device]") {
  config::ModelSection model;
  comm::RankPlacement learner;
  learner.rank = 3;
  learner.role = comm::Role::kLearner;
  CHECK(train::rank_device(model, learner).is_cpu());
  model.device = config::Device::kCuda;
  CHECK_THROWS_WITH(train::rank_device(model, learner), Contains("rank 3 (learner) has no GPU in the layout"));
  comm::RankPlacement orchestrator;
  CHECK(train::rank_device(model, orchestrator).is_cpu());  // holds no model
  model.device = config::Device::kCpu;
  CHECK(train::rank_device(model, learner).is_cpu());
}
