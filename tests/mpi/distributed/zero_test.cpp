// ZeRO-style sharded AdamW under real mpiexec (2 and 4 ranks): stages 1 and 2 end with the same weights as
// unsharded data-parallel AdamW (GradSync + AdamW on every learner), a saved shard resumes exactly, and a state
// from another learner count is refused naming both counts.
//
// Tolerance: 1e-6 relative to the largest weight after 6 steps (gradients summed by reduce-scatter instead of
// all-reduce differ in the last bits); ranks agree with each other bitwise.
#include "learner/sharded_adamw.h"

#include <ATen/core/grad_mode.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/equal.h>
#include <ATen/ops/scalar_tensor.h>

#include <catch2/catch.hpp>

#include "core/error.h"
#include "distributed/grad_sync.h"
#include "learner/grad_norm.h"
#include "learner/optimizer.h"
#include "tests/mpi/comm/mpi_fixture.h"

using namespace spct;
using learner::AdamW;
using learner::AdamWOptions;
using learner::ShardedAdamW;

namespace {

constexpr int kSteps = 6;
constexpr double kClip = 0.5;

at::Tensor pattern(std::vector<int64_t> shape, double phase) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return at::arange(n, at::kDouble).mul(0.37).add(phase).sin().mul(0.5).to(at::kFloat).reshape(shape);
}

// 75 elements, not a multiple of 2 or 4 learners: the last slice is padded, and slices cut through parameters.
std::vector<at::Tensor> make_params(at::ScalarType type) {
  std::vector<at::Tensor> params = {pattern({7, 5}, 0.1), pattern({13}, 0.2), pattern({3, 3, 3}, 0.3)};
  for (at::Tensor& p : params) p = p.to(type).requires_grad_(true);
  return params;
}

// Each rank's own loss, so the averaged gradient differs from every rank's local one.
void backward_on_rank(const std::vector<at::Tensor>& params, int rank, int step) {
  at::Tensor loss = at::scalar_tensor(0.0, at::kFloat);
  for (size_t i = 0; i < params.size(); ++i) {
    const at::Tensor target = pattern(params[i].sizes().vec(), 3.0 * rank + 0.7 * step + static_cast<double>(i));
    loss = loss.add(params[i].to(at::kFloat).sub(target).pow(3).abs().sum());
  }
  loss.backward();
}

AdamWOptions options() {
  AdamWOptions o;
  o.lr = 0.01;
  o.weight_decay = 0.1;
  return o;
}

at::Tensor flat(const std::vector<at::Tensor>& params) {
  std::vector<at::Tensor> parts;
  for (const at::Tensor& p : params) parts.push_back(p.detach().to(at::kFloat).reshape(-1));
  return at::cat(parts);
}

// Unsharded data-parallel AdamW: average gradients, clip, step.
at::Tensor run_unsharded(comm::Communicator& comm, at::ScalarType type) {
  const std::vector<at::Tensor> params = make_params(type);
  distributed::NamedTensors named;
  for (size_t i = 0; i < params.size(); ++i) named.emplace_back("p" + std::to_string(i), params[i]);
  distributed::GradSync sync(comm, named, 1 << 20);
  AdamW adam(params, options());
  for (int step = 0; step < kSteps; ++step) {
    adam.zero_grad();
    backward_on_rank(params, comm.rank(), step);
    sync.sync();
    learner::clip_grad_norm(params, kClip);
    adam.step();
  }
  return flat(params);
}

void sharded_step(comm::Communicator& comm, ShardedAdamW& adam, distributed::GradSync* sync,
                  const std::vector<at::Tensor>& params, int step) {
  backward_on_rank(params, comm.rank(), step);
  if (sync != nullptr) sync->sync();  // stage 1 keeps the all-reduce
  const double norm = adam.reduce_gradients();
  adam.clip(norm, kClip);
  adam.step();
}

at::Tensor run_sharded(comm::Communicator& comm, at::ScalarType type, int stage) {
  const std::vector<at::Tensor> params = make_params(type);
  distributed::NamedTensors named;
  for (size_t i = 0; i < params.size(); ++i) named.emplace_back("p" + std::to_string(i), params[i]);
  std::unique_ptr<distributed::GradSync> sync;
  if (stage == 1) sync = std::make_unique<distributed::GradSync>(comm, named, 1 << 20);
  ShardedAdamW adam(comm, params, options(), stage);
  for (int step = 0; step < kSteps; ++step) sharded_step(comm, adam, sync.get(), params, step);
  return flat(params);
}

// Every rank holds the same tensor (rank 0's copy, compared bitwise on every rank).
void require_same_on_every_rank(comm::Communicator& comm, const at::Tensor& t) {
  at::Tensor root = t.clone();
  comm.broadcast(root.data_ptr(), static_cast<size_t>(root.numel()) * sizeof(float), 0);
  REQUIRE(at::equal(root, t));
}

double relative_difference(const at::Tensor& a, const at::Tensor& b) {
  return a.sub(b).abs().max().item<double>() / b.abs().max().item<double>();
}

}  // namespace

TEST_CASE("ZeRO stages 1 and 2 end with the unsharded run's weights", "[zero]") {
  test::MpiFixture f;
  // float32: GradSync, the unsharded reference, reduces float32 gradients only (as the learner runs them).
  const at::ScalarType type = at::kFloat;
  const at::Tensor want = run_unsharded(f.world, type);
  for (int stage : {1, 2}) {
    INFO("stage " << stage << ", " << f.world.size() << " learners");
    const at::Tensor got = run_sharded(f.world, type, stage);
    require_same_on_every_rank(f.world, got);
    // The weights moved (a run that did nothing would not match by accident) ...
    REQUIRE(relative_difference(got, flat(make_params(type))) > 1e-3);
    // ... and match the unsharded run.
    REQUIRE(relative_difference(got, want) <= 1e-6);
  }
}

TEST_CASE("a ZeRO shard's state resumes the run exactly", "[zero]") {
  test::MpiFixture f;
  const std::vector<at::Tensor> params = make_params(at::kBFloat16);
  ShardedAdamW adam(f.world, params, options(), 2);
  for (int step = 0; step < 3; ++step) sharded_step(f.world, adam, nullptr, params, step);
  const learner::NamedTensors saved = adam.state();

  // A fresh optimizer on fresh parameters, restored from the shard: the parameters come back from the masters.
  const std::vector<at::Tensor> resumed_params = make_params(at::kBFloat16);
  ShardedAdamW resumed(f.world, resumed_params, options(), 2);
  resumed.load_state(saved);
  REQUIRE(resumed.steps_taken() == 3);
  REQUIRE(at::equal(flat(resumed_params), flat(params)));
  for (int step = 3; step < kSteps; ++step) {
    sharded_step(f.world, adam, nullptr, params, step);
    sharded_step(f.world, resumed, nullptr, resumed_params, step);
  }
  REQUIRE(at::equal(flat(resumed_params), flat(params)));
}

TEST_CASE("a ZeRO state from another learner count is refused naming both counts", "[zero]") {
  test::MpiFixture f;
  const std::vector<at::Tensor> params = make_params(at::kFloat);
  ShardedAdamW adam(f.world, params, options(), 1);
  learner::NamedTensors state = adam.state();
  // What a checkpoint of the same model written by one more learner holds in its layout entry.
  const int other = f.world.size() + 1;
  for (auto& [name, tensor] : state) {
    if (name == "layout") tensor[1].fill_(other);
  }
  const at::Tensor before = flat(params);
  try {
    adam.load_state(state);
    FAIL("load_state accepted a state of " << other << " learners");
  } catch (const InputError& e) {
    const std::string message = e.what();
    INFO(message);
    REQUIRE(message.find("saved by " + std::to_string(other) + " learners") != std::string::npos);
    REQUIRE(message.find("this run has " + std::to_string(f.world.size())) != std::string::npos);
  }
  REQUIRE(at::equal(flat(params), before));
  REQUIRE(adam.steps_taken() == 0);
}
