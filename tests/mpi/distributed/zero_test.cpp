// ZeRO-style sharded AdamW under real mpiexec (2 and 4 ranks): stages 1 and 2 end with the same weights as
// unsharded data-parallel AdamW (GradSync + AdamW on every learner), a saved state resumes exactly, the state is
// unsharded AdamW's (so either resumes the other, whatever the learner count), and a mis-shaped one is refused.
//
// Tolerance: 1e-6 relative to the largest weight after 6 steps (gradients summed by reduce-scatter instead of
// all-reduce differ in the last bits); ranks agree with each other bitwise.
#include <ATen/core/grad_mode.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/equal.h>
#include <ATen/ops/scalar_tensor.h>
#include <ATen/ops/zeros.h>

#include <catch2/catch.hpp>

#include "core/error.h"
#include "distributed/grad_sync.h"
#include "learner/grad_norm.h"
#include "learner/optimizer.h"
#include "learner/sharded_adamw.h"
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

distributed::NamedTensors named(const std::vector<at::Tensor>& params) {
  distributed::NamedTensors out;
  for (size_t i = 0; i < params.size(); ++i) out.emplace_back("p" + std::to_string(i), params[i]);
  return out;
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
  distributed::GradSync sync(comm, named(params), 1 << 20);
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

at::Tensor run_sharded(comm::Communicator& comm, at::ScalarType type, int stage, int64_t bucket_elements) {
  const std::vector<at::Tensor> params = make_params(type);
  std::unique_ptr<distributed::GradSync> sync;
  if (stage == 1) sync = std::make_unique<distributed::GradSync>(comm, named(params), 1 << 20);
  ShardedAdamW adam(comm, params, options(), stage, bucket_elements);
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
    // 0: each collective moves whole slices; 9: rounds of a few elements that cut through parameters.
    for (int64_t bucket_elements : {0, 9}) {
      INFO("stage " << stage << ", bucket " << bucket_elements << " elements, " << f.world.size() << " learners");
      const at::Tensor got = run_sharded(f.world, type, stage, bucket_elements);
      require_same_on_every_rank(f.world, got);
      // The weights moved (a run that did nothing would not match by accident) ...
      REQUIRE(relative_difference(got, flat(make_params(type))) > 1e-3);
      // ... and match the unsharded run.
      REQUIRE(relative_difference(got, want) <= 1e-6);
    }
  }
}

TEST_CASE("a ZeRO state resumes the run exactly", "[zero]") {
  test::MpiFixture f;
  const std::vector<at::Tensor> params = make_params(at::kBFloat16);
  ShardedAdamW adam(f.world, params, options(), 2, /*bucket_elements=*/9);
  for (int step = 0; step < 3; ++step) sharded_step(f.world, adam, nullptr, params, step);
  // Only the learner that writes keeps the state; the others take part in the gathers.
  REQUIRE(adam.state(/*keep=*/false).empty());
  const learner::NamedTensors saved = adam.state();

  // A fresh optimizer on the saved weights (a checkpoint restores them first), restored from the state.
  std::vector<at::Tensor> resumed_params = make_params(at::kBFloat16);
  for (size_t i = 0; i < params.size(); ++i) {
    const at::NoGradGuard no_grad;
    resumed_params[i].copy_(params[i]);
  }
  ShardedAdamW resumed(f.world, resumed_params, options(), 2);
  resumed.load_state(saved);
  REQUIRE(resumed.steps_taken() == 3);
  for (int step = 3; step < kSteps; ++step) {
    sharded_step(f.world, adam, nullptr, params, step);
    sharded_step(f.world, resumed, nullptr, resumed_params, step);
  }
  REQUIRE(at::equal(flat(resumed_params), flat(params)));
}

TEST_CASE("a ZeRO state is unsharded AdamW's state, so any learner count resumes it", "[zero]") {
  test::MpiFixture f;
  const std::vector<at::Tensor> sharded_params = make_params(at::kFloat);
  ShardedAdamW sharded(f.world, sharded_params, options(), 1);
  const std::vector<at::Tensor> plain_params = make_params(at::kFloat);
  distributed::GradSync sync(f.world, named(plain_params), 1 << 20);
  distributed::GradSync sharded_sync(f.world, named(sharded_params), 1 << 20);
  AdamW plain(plain_params, options());
  const auto plain_step = [&](int step) {
    plain.zero_grad();
    backward_on_rank(plain_params, f.world.rank(), step);
    sync.sync();
    learner::clip_grad_norm(plain_params, kClip);
    plain.step();
  };
  for (int step = 0; step < 3; ++step) {
    sharded_step(f.world, sharded, &sharded_sync, sharded_params, step);
    plain_step(step);
  }
  // The gathered state has AdamW's names and shapes, and its values.
  const learner::NamedTensors state = sharded.state();
  const learner::NamedTensors want = plain.state();
  REQUIRE(state.size() == want.size());
  for (size_t i = 0; i < state.size(); ++i) {
    INFO(state[i].first);
    REQUIRE(state[i].first == want[i].first);
    REQUIRE(state[i].second.sizes() == want[i].second.sizes());
    if (state[i].first == "step") {
      REQUIRE(at::equal(state[i].second, want[i].second));
    } else {
      REQUIRE(relative_difference(state[i].second, want[i].second) <= 1e-6);
    }
  }
  // Every learner's state (whichever count of learners sharded it) continues an unsharded optimizer: what a
  // resume with another layout.learners does; and an unsharded state continues a sharded one.
  const std::vector<at::Tensor> copy = make_params(at::kFloat);
  {
    const at::NoGradGuard no_grad;
    for (size_t i = 0; i < copy.size(); ++i) copy[i].copy_(sharded_params[i]);
  }
  ShardedAdamW from_plain(f.world, copy, options(), 2);
  from_plain.load_state(want);
  REQUIRE(from_plain.steps_taken() == 3);
  for (int step = 3; step < kSteps; ++step) {
    sharded_step(f.world, from_plain, nullptr, copy, step);
    plain_step(step);
  }
  REQUIRE(relative_difference(flat(copy), flat(plain_params)) <= 1e-6);
  REQUIRE(relative_difference(flat(copy), flat(make_params(at::kFloat))) > 1e-3);
}

TEST_CASE("a ZeRO state of another model is refused naming the entry", "[zero]") {
  test::MpiFixture f;
  const std::vector<at::Tensor> params = make_params(at::kFloat);
  ShardedAdamW adam(f.world, params, options(), 1);
  learner::NamedTensors state = adam.state();
  for (auto& [name, tensor] : state) {
    if (name == "exp_avg.1") tensor = at::zeros({14}, at::kFloat);  // the model's parameter 1 has 13 elements
  }
  const at::Tensor before = flat(params);
  try {
    adam.load_state(state);
    FAIL("load_state accepted a mis-shaped state");
  } catch (const InputError& e) {
    const std::string message = e.what();
    INFO(message);
    REQUIRE(message.find("\"exp_avg.1\" has shape [14]") != std::string::npos);
  }
  REQUIRE(at::equal(flat(params), before));
  REQUIRE(adam.steps_taken() == 0);
}
