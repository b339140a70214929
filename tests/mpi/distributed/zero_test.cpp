// ZeRO-style sharded AdamW under real mpiexec (2 and 4 ranks): stages 1 and 2 end with the same weights as
// unsharded data-parallel AdamW (GradSync + AdamW on every learner), a saved state resumes exactly, the state is
// unsharded AdamW's (so either resumes the other, whatever the learner count), and a mis-shaped one is refused.
//
// Stage 2 reduce-scatters each gradient bucket during backward (armed) with the bits of the post-backward path,
// and then no parameter's full gradient outlives its hook.
//
// Tolerance: 1e-6 relative to the largest weight after 6 steps (gradients summed by reduce-scatter instead of
// all-reduce differ in the last bits); ranks agree with each other bitwise.
#include <ATen/core/grad_mode.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/equal.h>
#include <ATen/ops/scalar_tensor.h>
#include <ATen/ops/zeros.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <utility>

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
    adam.step(learner::clip_coefficient(learner::grad_norm(params), kClip));  // as GrpoLearner clips
  }
  return flat(params);
}

// One step; `armed` (stage 2): the backward reduce-scatters the buckets as they fill. Returns the global norm.
double sharded_step(comm::Communicator& comm, ShardedAdamW& adam, distributed::GradSync* sync,
                    const std::vector<at::Tensor>& params, int step, bool armed = false) {
  if (armed) adam.arm();
  backward_on_rank(params, comm.rank(), step);
  if (sync != nullptr) sync->sync();  // stage 1 keeps the all-reduce
  const double norm = adam.reduce_gradients();
  adam.clip(norm, kClip);
  adam.step();
  return norm;
}

at::Tensor run_sharded(comm::Communicator& comm, at::ScalarType type, int stage, int64_t bucket_elements,
                       bool armed = false) {
  const std::vector<at::Tensor> params = make_params(type);
  std::unique_ptr<distributed::GradSync> sync;
  if (stage == 1) sync = std::make_unique<distributed::GradSync>(comm, named(params), 1 << 20);
  ShardedAdamW adam(comm, params, options(), stage, bucket_elements);
  for (int step = 0; step < kSteps; ++step) sharded_step(comm, adam, sync.get(), params, step, armed);
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
  // Stage 2 reduce-scatters after backward, or during it (armed).
  for (const auto& [stage, armed] : {std::pair{1, false}, std::pair{2, false}, std::pair{2, true}}) {
    // 0: one bucket of everything; 9: buckets of a few elements, pieces that cut through parameters.
    for (int64_t bucket_elements : {0, 9}) {
      INFO("stage " << stage << (armed ? " (armed)" : "") << ", bucket " << bucket_elements << " elements, "
                    << f.world.size() << " learners");
      const at::Tensor got = run_sharded(f.world, type, stage, bucket_elements, armed);
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
    plain.step(learner::clip_coefficient(learner::grad_norm(plain_params), kClip));
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

namespace {

// 6 parameters of 40 to 90 elements; buckets of at most 100 elements hold one or two of them.
std::vector<at::Tensor> layered_params() {
  std::vector<at::Tensor> params;
  for (int64_t i = 0; i < 6; ++i) params.push_back(pattern({40 + 10 * i}, 0.1 * static_cast<double>(i)));
  for (at::Tensor& p : params) p.requires_grad_(true);
  return params;
}

}  // namespace

TEST_CASE("ZeRO stage 2 reduce-scatters buckets during backward with the post-backward path's bits", "[zero]") {
  test::MpiFixture f;
  for (const at::ScalarType type : {at::kFloat, at::kBFloat16}) {
    for (int64_t bucket_elements : {int64_t{0}, int64_t{9}, int64_t{100}}) {
      INFO(c10::toString(type) << ", bucket " << bucket_elements << " elements, " << f.world.size() << " learners");
      const std::vector<at::Tensor> hooked = type == at::kFloat ? layered_params() : make_params(type);
      const std::vector<at::Tensor> after = type == at::kFloat ? layered_params() : make_params(type);
      ShardedAdamW during(f.world, hooked, options(), 2, bucket_elements);
      ShardedAdamW post(f.world, after, options(), 2, bucket_elements);
      REQUIRE(during.bucket_count() == post.bucket_count());
      if (bucket_elements == 0) REQUIRE(during.bucket_count() == 1);
      if (bucket_elements == 100 && type == at::kFloat) REQUIRE(during.bucket_count() >= 3);
      for (int step = 0; step < kSteps; ++step) {
        // Two micro-batches: the first accumulates in .grad(), the armed second completes the gradients.
        backward_on_rank(hooked, f.world.rank(), step + 100);
        backward_on_rank(after, f.world.rank(), step + 100);
        const double norm_during = sharded_step(f.world, during, nullptr, hooked, step, /*armed=*/true);
        const double norm_post = sharded_step(f.world, post, nullptr, after, step, /*armed=*/false);
        // Every bucket filled during backward and started there; none without arm().
        REQUIRE(during.started_in_backward() == during.bucket_count());
        REQUIRE(post.started_in_backward() == 0);
        REQUIRE(norm_during == norm_post);
        REQUIRE(at::equal(flat(hooked), flat(after)));
      }
      REQUIRE(relative_difference(flat(hooked), flat(type == at::kFloat ? layered_params() : make_params(type))) >
              1e-3);
      require_same_on_every_rank(f.world, flat(hooked));
    }
  }
}

TEST_CASE("armed ZeRO stage 2 never holds the full local gradient", "[zero]") {
  test::MpiFixture f;
  for (bool armed : {false, true}) {
    INFO((armed ? "armed" : "not armed") << ", " << f.world.size() << " learners");
    const std::vector<at::Tensor> params = layered_params();
    ShardedAdamW adam(f.world, params, options(), 2, /*bucket_elements=*/100);
    int64_t total = 0;
    int64_t largest = 0;
    for (const at::Tensor& p : params) {
      total += p.numel();
      largest = std::max(largest, p.numel());
    }
    // Measured as each gradient arrives (a tensor hook runs before autograd stores it): the elements of every
    // .grad() alive then, plus the arriving one.
    int64_t peak = 0;
    std::vector<unsigned> hooks;
    for (const at::Tensor& p : params) {
      hooks.push_back(p.register_hook([&](const at::Tensor& incoming) {
        int64_t live = incoming.numel();
        for (const at::Tensor& q : params) live += q.grad().defined() ? q.grad().numel() : 0;
        peak = std::max(peak, live);
      }));
    }
    for (int step = 0; step < 2; ++step) sharded_step(f.world, adam, nullptr, params, step, armed);
    for (size_t i = 0; i < params.size(); ++i) params[i].remove_hook(hooks[i]);
    if (armed) {
      // Each gradient goes into its bucket and is dropped before the next one arrives.
      REQUIRE(peak == largest);
      REQUIRE(adam.started_in_backward() == adam.bucket_count());
    } else {
      REQUIRE(peak == total);  // the measure sees the whole gradient when it is there
    }
  }
}
