// Turn-taking on memory (orchestrator/train/turn_taking.h) at the learner: offload() really moves the optimizer
// state into other tensors and releases the gradients, reload() brings the same values back, and a learner that
// offloads between every step takes bitwise the steps of one that never does (bf16 weights with float32 masters
// and float32 gradient buffers, several micro-batches). On the CPU the "host" tensors are separate CPU tensors.
#include <ATen/Parallel.h>
#include <ATen/ops/equal.h>

#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "learner/grpo_learner.h"
#include "learner/grpo_learner_options.h"
#include "models/model_config.h"
#include "tiny_learner.h"

using spct::learner::GrpoLearner;
using spct::learner::NamedTensors;

namespace {

spct::config::Config bf16_config() {
  spct::config::Config config = spct::test::tiny_learner_config();
  config.model.dtype = spct::config::ModelDType::kBFloat16;
  config.grpo.micro_batch_size = 2;  // float32 gradient buffers for the bf16 parameters
  config.grpo.lr = 1e-3;
  return config;
}

std::map<std::string, const void*> storage_of(const NamedTensors& state) {
  std::map<std::string, const void*> out;
  for (const auto& [name, t] : state) out[name] = t.data_ptr();
  return out;
}

bool same_values(const NamedTensors& a, const NamedTensors& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].first != b[i].first || !at::equal(a[i].second, b[i].second)) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("offload moves the optimizer state into other tensors and releases the gradients") {
  at::set_num_threads(1);
  const spct::config::Config config = bf16_config();
  spct::models::Transformer policy(spct::models::from_section(config.model, spct::test::kTinyVocab), 5);
  GrpoLearner learner(spct::learner::grpo_learner_options(config), policy, nullptr);
  learner.step(spct::test::tiny_batch(), 0);  // moments and masters that are not all zero

  // Snapshots of the values (clones) and where the learner keeps them (the optimizer's own tensors).
  NamedTensors before;
  for (const auto& [name, t] : learner.optimizer_state()) before.emplace_back(name, t.clone());
  const auto learner_storage = storage_of(learner.optimizer_state());
  REQUIRE(learner_storage.count("master.0") == 1);  // bf16 parameters have float32 masters
  CHECK(learner.offloaded_bytes() > 0);

  learner.offload();
  CHECK(learner.offloaded());
  const NamedTensors away = learner.optimizer_state();
  CHECK(same_values(away, before));
  // Every moment and master now lives in another tensor than the one the learner updated with.
  for (const auto& [name, where] : storage_of(away)) {
    if (name == "step") continue;
    INFO(name);
    CHECK(where != learner_storage.at(name));
  }
  for (const auto& p : policy.trainable_parameters()) CHECK_FALSE(p.tensor.grad().defined());

  learner.reload();
  CHECK_FALSE(learner.offloaded());
  const NamedTensors back = learner.optimizer_state();
  CHECK(same_values(back, before));
  for (const auto& [name, where] : storage_of(back)) {
    if (name == "step") continue;
    INFO(name);
    CHECK(where != storage_of(away).at(name));
  }
}

TEST_CASE("a learner that offloads between steps takes bitwise the same steps") {
  at::set_num_threads(1);
  const spct::config::Config config = bf16_config();
  spct::models::Transformer resident(spct::models::from_section(config.model, spct::test::kTinyVocab), 5);
  spct::models::Transformer turns(spct::models::from_section(config.model, spct::test::kTinyVocab), 5);
  GrpoLearner a(spct::learner::grpo_learner_options(config), resident, nullptr);
  GrpoLearner b(spct::learner::grpo_learner_options(config), turns, nullptr);
  for (int64_t step = 0; step < 3; ++step) {
    b.offload();  // the engine's turn; step() reloads
    const spct::Metrics ma = a.step(spct::test::tiny_batch(), step);
    const spct::Metrics mb = b.step(spct::test::tiny_batch(), step);
    CHECK_FALSE(b.offloaded());
    CHECK(ma == mb);
    CHECK(a.weights_digest() == b.weights_digest());
  }
  b.offload();
  CHECK(same_values(a.optimizer_state(), b.optimizer_state()));  // readable while offloaded, as a checkpoint does
}
